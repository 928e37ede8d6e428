// etalon's request-length trace CSV (docs/workload.md#length-trace-csv-files: the format, and where to
// find etalon's traces, which are not shipped): a header naming at least
// `num_prefill_tokens` and `num_decode_tokens`, in any order among other columns. Only those two are
// read; values must be integers ≥ 1 within the run config's token bounds, and there may be at most
// as many rows as a config holds. Fields are plain (no quoted commas), as in etalon's traces.

import { MAX_OUTPUT_TOKENS, MAX_PROMPT_TOKENS, MAX_TRACE_ROWS } from '../run/config-bounds.ts';

const PROMPT_COLUMN = 'num_prefill_tokens';
const OUTPUT_COLUMN = 'num_decode_tokens';
const MAX_REPORTED = 20;

export interface LengthTrace {
  rows: [number, number][];
}

/** A header or field, without surrounding whitespace or double quotes. */
function cell(raw: string): string {
  const trimmed = raw.trim();
  return trimmed.length >= 2 && trimmed.startsWith('"') && trimmed.endsWith('"')
    ? trimmed.slice(1, -1).trim()
    : trimmed;
}

/** Parses a length trace. Throws one Error listing the problems (first 20) with their line numbers. */
export function parseLengthTraceCsv(text: string): LengthTrace {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const headerIndex = lines.findIndex((line) => line.trim() !== '');
  if (headerIndex < 0) throw new Error('length trace CSV is empty');
  const header = lines[headerIndex]!.split(',').map(cell);
  const promptAt = header.indexOf(PROMPT_COLUMN);
  const outputAt = header.indexOf(OUTPUT_COLUMN);
  const missing = [PROMPT_COLUMN, OUTPUT_COLUMN].filter((name) => !header.includes(name));
  if (missing.length > 0) {
    throw new Error(
      `length trace CSV line ${headerIndex + 1}: header lacks column(s) ${missing.join(', ')} ` +
        `(found: ${header.join(', ')})`,
    );
  }

  const rows: [number, number][] = [];
  const problems: string[] = [];
  let problemCount = 0;
  const report = (lineNumber: number, message: string): void => {
    problemCount++;
    if (problems.length < MAX_REPORTED) problems.push(`line ${lineNumber}: ${message}`);
  };
  const value = (
    fields: string[],
    at: number,
    name: string,
    max: number,
    lineNumber: number,
  ): number | undefined => {
    const raw = fields[at];
    if (raw === undefined) {
      report(lineNumber, `missing ${name}`);
      return undefined;
    }
    const text = cell(raw);
    const parsed = text === '' ? Number.NaN : Number(text);
    if (!Number.isSafeInteger(parsed) || parsed < 1) {
      report(lineNumber, `${name} must be an integer ≥ 1, got ${JSON.stringify(text)}`);
      return undefined;
    }
    if (parsed > max) {
      report(lineNumber, `${name} must be at most ${max}, got ${parsed}`);
      return undefined;
    }
    return parsed;
  };

  for (let i = headerIndex + 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    const fields = line.split(',');
    const prompt = value(fields, promptAt, PROMPT_COLUMN, MAX_PROMPT_TOKENS, i + 1);
    const output = value(fields, outputAt, OUTPUT_COLUMN, MAX_OUTPUT_TOKENS, i + 1);
    if (prompt !== undefined && output !== undefined) rows.push([prompt, output]);
    if (rows.length > MAX_TRACE_ROWS) {
      report(i + 1, `more than ${MAX_TRACE_ROWS} rows: split the trace over several runs`);
      break;
    }
  }
  if (problemCount === 0 && rows.length === 0) report(headerIndex + 1, 'no data rows after the header');
  if (problemCount > 0) {
    const more = problemCount > problems.length ? `\n… and ${problemCount - problems.length} more` : '';
    throw new Error(
      `invalid length trace CSV (${problemCount} problem${problemCount === 1 ? '' : 's'}):\n` +
        `${problems.join('\n')}${more}`,
    );
  }
  return { rows };
}

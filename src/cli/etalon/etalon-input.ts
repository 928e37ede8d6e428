import type { RequestRecord } from '../../core/record/request-record.ts';

// Reads etalon's `request_level_metrics.json` (a dict of parallel lists, one index per request)
// into fluidbench request records, so `analyze` can recompute etalon runs with exact metrics.

export interface EtalonIssue {
  path: (string | number)[];
  message: string;
}

export interface EtalonConversion {
  records: RequestRecord[];
  issues: EtalonIssue[];
}

const REQUIRED_COLUMNS = ['ttft', 'tbt', 'num_output_tokens'] as const;
const OPTIONAL_COLUMNS = ['num_prompt_tokens'] as const;
type Column = (typeof REQUIRED_COLUMNS)[number] | (typeof OPTIONAL_COLUMNS)[number];

function isObject(json: unknown): json is Record<string, unknown> {
  return typeof json === 'object' && json !== null && !Array.isArray(json);
}

/** True for etalon's column-oriented `request_level_metrics.json` (not a list of records). */
export function isEtalonRequestLevelMetrics(json: unknown): boolean {
  return isObject(json) && REQUIRED_COLUMNS.every((key) => Array.isArray(json[key]));
}

function isDurationS(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0;
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/** Issues of one column's cells; `tbt` cells are lists of durations. */
function columnIssues(key: Column, values: readonly unknown[]): EtalonIssue[] {
  const issues: EtalonIssue[] = [];
  values.forEach((v, i) => {
    if (key === 'ttft') {
      if (!isDurationS(v)) issues.push({ path: [key, i], message: `expected seconds ≥ 0, got ${show(v)}` });
    } else if (key === 'tbt') {
      if (!Array.isArray(v)) {
        issues.push({ path: [key, i], message: `expected a list of seconds, got ${show(v)}` });
        return;
      }
      v.forEach((gap: unknown, j) => {
        if (!isDurationS(gap))
          issues.push({ path: [key, i, j], message: `expected seconds ≥ 0, got ${show(gap)}` });
      });
    } else if (!isCount(v)) {
      issues.push({ path: [key, i], message: `expected a token count (integer ≥ 0), got ${show(v)}` });
    }
  });
  return issues;
}

function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object' && v !== null) return 'an object';
  return String(v);
}

/**
 * Chunks from etalon's gaps, rebuilt as etalon does (`store_generation_stalls`): token k arrives
 * at cumsum([ttft] + tbt)[k] s after the send. etalon records a multi-token read as one gap
 * followed by zeros, so a run of exactly-0 gaps is folded back into that read's chunk.
 * Seconds become ms by `s * 1000` without rounding; the metrics core rounds to µs once.
 */
export function chunksFromEtalonGaps(ttftS: number, tbtS: readonly number[]): [number, number][] {
  let atS = ttftS;
  const chunks: [number, number][] = [[atS * 1000, 1]];
  let last = chunks[0]!;
  for (const gapS of tbtS) {
    atS += gapS;
    if (gapS === 0) {
      last[1] += 1;
    } else {
      last = [atS * 1000, 1];
      chunks.push(last);
    }
  }
  return chunks;
}

/**
 * Converts etalon's request-level metrics to records. Never throws on bad data: every problem is
 * reported with its path (`['tbt', 3, 7]`) and requests with a problem are left out, as are
 * indices past the shortest column. Records are `ok` (etalon keeps only requests that produced
 * text), counted by `tokenizer` (etalon re-tokenises each chunk), sent at 0 (etalon stores no
 * send time), with the list index as id.
 */
export function etalonToRecords(json: unknown): EtalonConversion {
  if (!isObject(json)) {
    return {
      records: [],
      issues: [
        { path: [], message: 'expected etalon request_level_metrics.json: an object of parallel lists' },
      ],
    };
  }
  const issues: EtalonIssue[] = [];
  const columns = new Map<Column, readonly unknown[]>();
  for (const key of [...REQUIRED_COLUMNS, ...OPTIONAL_COLUMNS]) {
    const values = json[key];
    if (values === undefined) {
      if ((REQUIRED_COLUMNS as readonly string[]).includes(key)) {
        issues.push({ path: [key], message: 'missing column' });
      }
      continue;
    }
    if (!Array.isArray(values)) {
      issues.push({ path: [key], message: `expected a list, got ${show(values)}` });
      continue;
    }
    columns.set(key, values);
  }

  const ttft = columns.get('ttft');
  const lengths = [...columns.values()].map((values) => values.length);
  const count = lengths.length > 0 ? Math.min(...lengths) : 0;
  const reference = ttft ? 'ttft' : [...columns.keys()][0];
  const referenceLength = reference ? columns.get(reference)!.length : 0;
  for (const [key, values] of columns) {
    if (values.length !== referenceLength) {
      issues.push({
        path: [key],
        message: `has ${values.length} entries but ${reference} has ${referenceLength}; all lists must be parallel`,
      });
    }
  }

  const badRows = new Set<number>();
  for (const [key, values] of columns) {
    for (const issue of columnIssues(key, values)) {
      issues.push(issue);
      badRows.add(issue.path[1] as number);
    }
  }
  // A required column that is missing or not a list leaves nothing to convert.
  if (REQUIRED_COLUMNS.some((key) => !columns.has(key))) return { records: [], issues };

  const records: RequestRecord[] = [];
  const tbt = columns.get('tbt') as readonly number[][];
  const outputTokens = columns.get('num_output_tokens') as readonly number[];
  const promptTokens = columns.get('num_prompt_tokens') as readonly number[] | undefined;
  for (let i = 0; i < count; i++) {
    if (badRows.has(i)) continue;
    const chunks = chunksFromEtalonGaps((ttft as readonly number[])[i]!, tbt[i]!);
    // Finite gaps can still add up past the float range.
    if (!Number.isFinite(chunks[chunks.length - 1]![0])) {
      issues.push({ path: ['tbt', i], message: 'token times add up to more than the float range' });
      continue;
    }
    records.push({
      id: String(i),
      sent_at_ms: 0,
      prompt_tokens: promptTokens?.[i] ?? 0,
      output_tokens: outputTokens[i]!,
      chunks,
      token_count_source: 'tokenizer',
      outcome: 'ok',
    });
  }
  return { records, issues };
}

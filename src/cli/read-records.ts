import { createReadStream, type ReadStream } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { CliError } from './cli-error.ts';
import { etalonToRecords, isEtalonRequestLevelMetrics } from './etalon/etalon-input.ts';

/** The file layouts `analyze` reads. */
export type InputFormat = 'jsonl' | 'json-array' | 'json-requests' | 'json-record' | 'etalon';

/**
 * One record, not yet schema-checked, and where it came from: parsed JSON, or (JSONL) the line's
 * text, parsed by `recordValue` just before use so only one parsed record is alive at a time.
 */
export interface RawRecord {
  value?: unknown;
  text?: string;
  /** 0-based position among the file's records. */
  index: number;
  /** 1-based line for JSONL input. */
  line: number | null;
}

export interface InputIssue {
  where: string;
  message: string;
}

export interface RecordInput {
  format: InputFormat;
  /** Records in file order, in batches (a per-record await would cost more than parsing). */
  batches: AsyncIterable<RawRecord[]>;
  /** Size of the file in bytes, and how much of it has been read so far (for progress). */
  totalBytes: number;
  bytesRead: () => number;
  /** Lines consumed so far (JSONL; 0 for a JSON document): the line offset of the next range. */
  linesRead: () => number;
}

/**
 * Opens a file of request records: JSONL (one record a line, streamed), a JSON array, an object
 * with a `requests` array (the vector files), a single record, or etalon's column-oriented
 * `request_level_metrics.json`. JSONL lines are parsed by `recordValue`, which reports bad lines
 * and lets reading go on, so every bad line is reported at once; anything else unreadable throws.
 */
export async function openRecords(path: string): Promise<RecordInput> {
  const { jsonl, size } = await detectLayout(path);
  if (jsonl) return openJsonLines(path, { start: 0, end: size });
  const whole = parseWholeJson(path, await readWhole(path));
  return { ...whole, totalBytes: size, bytesRead: () => size, linesRead: () => 0 };
}

/** Reads the records of bytes [start, end) of a JSONL file; the range must start at a line start. */
export function openJsonLines(path: string, range: { start: number; end: number }): RecordInput {
  const counter = { lines: 0 };
  const base = {
    format: 'jsonl' as const,
    totalBytes: range.end - range.start,
    linesRead: () => counter.lines,
  };
  if (range.end <= range.start) return { ...base, batches: fromArray([]), bytesRead: () => 0 };
  const stream = createReadStream(path, {
    encoding: 'utf8',
    highWaterMark: 1 << 16,
    start: range.start,
    end: range.end - 1, // inclusive
  });
  return { ...base, batches: readJsonLines(stream, counter), bytesRead: () => stream.bytesRead };
}

/** Whether the file is JSONL (else one JSON document), and its size; bad files throw. */
export async function detectLayout(path: string): Promise<{ jsonl: boolean; size: number }> {
  const { head, size } = await readHead(path);
  const text = head.replace(/^\uFEFF/, '').trimStart();
  if (text === '') throw new CliError(`${path} is empty: expected request records (JSON or JSONL)`);
  if (text[0] === '{') {
    const firstLine = text.slice(0, text.indexOf('\n') === -1 ? undefined : text.indexOf('\n')).trim();
    const rest = text.slice(firstLine.length).trim();
    if (tryParse(firstLine) !== undefined && rest !== '') return { jsonl: true, size };
  } else if (text[0] !== '[') {
    throw new CliError(`${path} is not JSON or JSONL: it starts with ${JSON.stringify(text.slice(0, 20))}`);
  }
  return { jsonl: false, size };
}

/**
 * Cuts a JSONL file into `parts` byte ranges that start at line starts, for parallel readers.
 * Each cut moves forward from an even split to just past the next newline.
 */
export async function splitJsonLines(
  path: string,
  size: number,
  parts: number,
): Promise<{ start: number; end: number }[]> {
  const handle = await open(path, 'r');
  try {
    const cuts = [0];
    const buffer = Buffer.alloc(1 << 16);
    for (let p = 1; p < parts; p++) {
      let at = Math.max(cuts.at(-1)!, Math.floor((size * p) / parts));
      for (;;) {
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, at);
        if (bytesRead === 0) {
          at = size;
          break;
        }
        const newline = buffer.subarray(0, bytesRead).indexOf(10);
        if (newline !== -1) {
          at += newline + 1;
          break;
        }
        at += bytesRead;
      }
      cuts.push(at);
    }
    cuts.push(size);
    return cuts.slice(0, -1).map((start, i) => ({ start, end: cuts[i + 1]! }));
  } finally {
    await handle.close();
  }
}

function parseWholeJson(path: string, content: string): Pick<RecordInput, 'format' | 'batches'> {
  let json: unknown;
  try {
    json = JSON.parse(content.replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new CliError(`${path}: invalid JSON: ${jsonErrorWithLine(error, content)}`);
  }
  if (Array.isArray(json)) return { format: 'json-array', batches: fromArray(json) };
  if (json !== null && typeof json === 'object') {
    const object = json as Record<string, unknown>;
    if (Array.isArray(object.requests))
      return { format: 'json-requests', batches: fromArray(object.requests) };
    if (isEtalonRequestLevelMetrics(json)) {
      const { records, issues } = etalonToRecords(json);
      if (issues.length > 0) {
        const where = issues.map((i) => `${i.path.join('.')}: ${i.message}`);
        throw new CliError(
          `${path}: invalid etalon request_level_metrics.json: ${where.slice(0, 8).join('; ')}`,
        );
      }
      return { format: 'etalon', batches: fromArray(records) };
    }
    if ('chunks' in object) return { format: 'json-record', batches: fromArray([object]) };
  }
  throw new CliError(
    `${path}: expected request records: a JSON array, {"requests": [...]}, JSONL, or etalon's request_level_metrics.json`,
  );
}

async function* fromArray(values: readonly unknown[]): AsyncGenerator<RawRecord[]> {
  yield values.map((value, index) => ({ value, index, line: null }));
}

/** Streams lines in large chunks (readline's per-line events cost more than the JSON parse). */
async function* readJsonLines(stream: ReadStream, counter: { lines: number }): AsyncGenerator<RawRecord[]> {
  let carry = '';
  let line = 0;
  let index = 0;
  const splitLines = (text: string, final: boolean): RawRecord[] => {
    const batch: RawRecord[] = [];
    let start = 0;
    for (;;) {
      const end = text.indexOf('\n', start);
      if (end === -1 && !final) break;
      line += 1;
      counter.lines = line;
      const raw = text.slice(start, end === -1 ? undefined : end);
      const trimmed = (line === 1 ? raw.replace(/^\uFEFF/, '') : raw).trim();
      if (trimmed !== '') batch.push({ text: trimmed, index: index++, line });
      if (end === -1) break;
      start = end + 1;
    }
    carry = final ? '' : text.slice(start);
    return batch;
  };
  for await (const chunk of stream as AsyncIterable<string>) yield splitLines(carry + chunk, false);
  if (carry !== '') yield splitLines(carry, true);
}

/** The record's JSON value, or why a JSONL line is not JSON. */
export function recordValue(raw: RawRecord): { value: unknown } | { error: string } {
  if (raw.text === undefined) return { value: raw.value };
  try {
    return { value: JSON.parse(raw.text) };
  } catch (error) {
    // V8 counts lines within the text it parsed, which is this one line: keep only the column.
    const message = (error as Error).message.replace(/ \(line 1 column (\d+)\)$/, ' (column $1)');
    return { error: `invalid JSON: ${message}` };
  }
}

/** The first 64 KiB (to detect the layout) and the file's size. */
async function readHead(path: string): Promise<{ head: string; size: number }> {
  try {
    const handle = await open(path, 'r');
    try {
      const { size } = await handle.stat();
      const buffer = Buffer.alloc(64 * 1024);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
      return { head: buffer.subarray(0, bytesRead).toString('utf8'), size };
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw new CliError(`cannot read ${path}: ${describeFsError(error)}`);
  }
}

async function readWhole(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read ${path}: ${describeFsError(error)}`);
  }
}

export function describeFsError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EISDIR') return 'it is a directory';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  return (error as Error).message;
}

function tryParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** V8 reports a character position; users want a line. */
function jsonErrorWithLine(error: unknown, content: string): string {
  const message = (error as Error).message;
  if (/\(line \d+ column \d+\)/.test(message)) return message;
  const position = /at position (\d+)/.exec(message);
  if (!position) return message;
  const line = content.slice(0, Number(position[1])).split('\n').length;
  return `${message} (line ${line})`;
}

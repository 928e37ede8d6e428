import { Analyzer } from '../core/metrics/analysis.ts';
import type { DeadlineOptions } from '../core/metrics/deadline-options.ts';
import { missRate } from '../core/metrics/fluidity.ts';
import { ANALYZE_EXACT_LIMIT } from '../core/metrics/quantile-summary.ts';
import type { RequestMetrics, RequestMetricsRow } from '../core/metrics/request-metrics.ts';
import type { RunSummaryState } from '../core/metrics/run-summary.ts';
import { usToS } from '../core/metrics/units.ts';
import { requestRecordSchema } from '../core/record/request-record.ts';
import { formatPath } from './cli-error.ts';
import type { EtalonRequestRow } from './etalon/etalon-files.ts';
import { readPrefillPredictor } from './read-prefill-profile.ts';
import { openJsonLines, openRecords, recordValue } from './read-records.ts';

/** What one reader analyses: a whole file, or a byte range of a JSONL file (serialisable). */
export interface RangeTask {
  file: string;
  /** Bytes [start, end) of a JSONL file, starting at a line start; absent: the whole file. */
  range?: { start: number; end: number };
  deadlines: DeadlineOptions;
  prefillProfile?: string;
  keepRequests: boolean;
  etalonRows: boolean;
  missRateCurve: boolean;
}

/** A problem with one record; indexes and lines are local to the range until shifted. */
export interface RecordIssue {
  /** `json`: the line is not JSON; `record`: schema or duplicate-id problem. */
  kind: 'json' | 'record';
  index: number;
  line: number | null;
  field: string;
  message: string;
}

export interface RangeResult {
  /** Records (non-blank lines) and lines seen: the offsets of the next range. */
  records: number;
  lines: number;
  issues: RecordIssue[];
  /** Valid records' ids with their index and line, to find duplicates across ranges. */
  ids: [id: string, index: number, line: number | null][];
  regions: Record<string, RunSummaryState>;
  rows: RequestMetricsRow[];
  etalonRows: EtalonRequestRow[];
}

/**
 * Validates and analyses the records of one range. Every problem is collected (analysis stops at
 * the first, validation goes on); `onProgress` hears bytes read and valid records so far.
 */
export async function analyzeRange(
  task: RangeTask,
  onProgress?: (bytesRead: number, records: number) => void,
): Promise<RangeResult> {
  const predictor = task.prefillProfile ? await readPrefillPredictor(task.prefillProfile) : undefined;
  const etalonRows: EtalonRequestRow[] = [];
  const analyzer = new Analyzer({
    deadlines: task.deadlines,
    predictPrefillUs: predictor,
    keepRequests: task.keepRequests,
    missRateCurve: task.missRateCurve,
    exactLimit: ANALYZE_EXACT_LIMIT,
    onRequest: task.etalonRows
      ? (m) => m.outcome === 'ok' && m.ttftUs !== null && etalonRows.push(etalonRow(m))
      : undefined,
  });
  const input = task.range ? openJsonLines(task.file, task.range) : await openRecords(task.file);
  const issues: RecordIssue[] = [];
  /** First index and line of every valid id, in file order. */
  const seen = new Map<string, [index: number, line: number | null]>();
  let records = 0;
  for await (const batch of input.batches) {
    onProgress?.(input.bytesRead(), seen.size);
    for (const raw of batch) {
      records = raw.index + 1;
      const json = recordValue(raw);
      if ('error' in json) {
        issues.push({ kind: 'json', index: raw.index, line: raw.line, field: '', message: json.error });
        continue;
      }
      const parsed = requestRecordSchema.safeParse(json.value);
      if (!parsed.success) {
        for (const issue of parsed.error.issues) {
          const field = formatPath(issue.path) || '(record)';
          issues.push({ kind: 'record', index: raw.index, line: raw.line, field, message: issue.message });
        }
        continue;
      }
      const { id } = parsed.data;
      const first = seen.get(id);
      if (first !== undefined) {
        const message = `duplicate id ${JSON.stringify(id)} (first at record ${first[0]})`;
        issues.push({ kind: 'record', index: raw.index, line: raw.line, field: 'id', message });
        continue;
      }
      seen.set(id, [raw.index, raw.line]);
      if (issues.length === 0) analyzer.add(parsed.data);
    }
  }
  const report = issues.length === 0;
  return {
    records,
    lines: input.linesRead(),
    issues,
    ids: [...seen].map(([id, [index, line]]) => [id, index, line]),
    regions: report ? analyzer.regionStates() : {},
    rows: report ? analyzer.requestRows() : [],
    etalonRows: report ? etalonRows : [],
  };
}

function etalonRow(m: RequestMetrics): EtalonRequestRow {
  const tbt_s: number[] = [];
  for (let i = 1; i < m.ittUs.length; i++) tbt_s.push(usToS(m.ittUs[i]!));
  return {
    prompt_tokens: m.promptTokens,
    output_tokens: m.outputTokens,
    ttft_s: usToS(m.ttftUs!),
    tbt_s,
    tpot_s: m.tpotUs === null ? null : usToS(m.tpotUs),
    e2e_s: usToS(m.e2eUs!),
    normalized_e2e_s: m.normalizedE2eUs === null ? 0 : usToS(m.normalizedE2eUs),
    output_throughput: m.outputThroughputTps ?? 0,
    miss_rate: missRate(m.deadlines),
    min_tbt_deadline_s: m.minTbtDeadlineUs == null ? null : usToS(m.minTbtDeadlineUs),
  };
}

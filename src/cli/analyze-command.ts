import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { Presets, SingleBar } from 'cli-progress';
import { type AnalysisReport, Analyzer } from '../core/metrics/analysis.ts';
import { type DeadlineOptions, deadlineOptionsSchema } from '../core/metrics/deadline-options.ts';
import { ANALYZE_EXACT_LIMIT } from '../core/metrics/quantile-summary.ts';
import { formatAnalysis } from '../core/report/format-analysis.ts';
import { analyzeRange, type RangeResult, type RangeTask, type RecordIssue } from './analyze-range.ts';
import { CliError, formatIssues } from './cli-error.ts';
import type { EtalonRequestRow } from './etalon/etalon-files.ts';
import { writeEtalonDir } from './etalon/etalon-output.ts';
import { readPrefillPredictor } from './read-prefill-profile.ts';
import { describeFsError, detectLayout, type InputIssue, splitJsonLines } from './read-records.ts';

export interface AnalyzeFlags {
  json?: boolean;
  ttftDeadline?: string;
  tbtDeadline?: string;
  targetMissRate?: string;
  ttftSlack?: string;
  prefillProfile?: string;
  etalonDir?: string;
  curve?: boolean;
  /** `false` (`--no-progress`) hides the bar shown for large files when stderr is a terminal. */
  progress?: boolean;
  /** Reader threads for JSONL (`--threads N`); default: several for files of 16 MB or more. */
  threads?: number | undefined;
}

/** Files at least this large get a progress bar (smaller ones finish in about a second). */
const PROGRESS_MIN_BYTES = 16 << 20;

function startProgress(totalBytes: number, wanted: boolean | undefined): SingleBar | null {
  if (wanted === false || process.stderr.isTTY !== true || totalBytes < PROGRESS_MIN_BYTES) return null;
  const bar = new SingleBar(
    {
      stream: process.stderr,
      format: 'analyzing [{bar}] {percentage}% | {records} records | {value}/{total} MB read',
      formatValue: (v, _options, type) =>
        type === 'value' || type === 'total' ? (v / 1e6).toFixed(0) : String(v),
      hideCursor: true,
      clearOnComplete: true,
    },
    Presets.shades_classic,
  );
  bar.start(totalBytes, 0, { records: 0 });
  return bar;
}

export interface AnalyzeResult {
  report: AnalysisReport;
  stdout: string;
}

/** JSONL files at least this large are read by several threads unless `--threads` says otherwise. */
const PARALLEL_MIN_BYTES = 16 << 20;
export const MAX_THREADS = 8;

/**
 * `fluidbench analyze FILE`: validates every record first (all issues reported together), then
 * prints the summary (or JSON) and optionally writes etalon's file set. Large JSONL files are cut
 * into byte ranges analysed by worker threads; their mergeable summaries are merged in file order.
 */
export async function analyzeCommand(file: string, flags: AnalyzeFlags): Promise<AnalyzeResult> {
  const deadlines = parseDeadlineFlags(flags);
  // Read here too, so a bad profile fails before any work (each range reads its own copy).
  const predictor = flags.prefillProfile ? await readPrefillPredictor(flags.prefillProfile) : undefined;
  const { jsonl, size } = await detectLayout(file);
  const threads = jsonl ? chooseThreads(flags.threads, size) : 1;
  const base: RangeTask = {
    file,
    deadlines,
    prefillProfile: flags.prefillProfile,
    keepRequests: flags.json === true,
    etalonRows: flags.etalonDir !== undefined,
    missRateCurve: flags.curve === true || flags.etalonDir !== undefined,
  };
  const progress = startProgress(size, flags.progress);
  const results =
    threads === 1
      ? [await analyzeRange(base, (bytes, records) => progress?.update(bytes, { records }))]
      : await analyzeInWorkers(base, await splitJsonLines(file, size, threads), progress);
  progress?.stop();

  const issues = shiftedIssues(results);
  if (issues.length > 0) throw new CliError(`${file}: ${issues.length} invalid: ${formatIssues(issues)}`);
  // The same exact limit as the ranges': merging them must not sketch what they held exactly.
  const analyzer = new Analyzer({
    deadlines,
    predictPrefillUs: predictor,
    missRateCurve: base.missRateCurve,
    exactLimit: ANALYZE_EXACT_LIMIT,
  });
  for (const result of results) analyzer.absorb(result.regions, result.rows);
  const report = analyzer.report();
  if (report.summary.requests === 0) throw new CliError(`${file} holds no request records`);
  if (flags.etalonDir) {
    const rows = results.flatMap((r) => r.etalonRows);
    await writeEtalonFiles(flags.etalonDir, report, deadlines, predictor !== undefined, rows);
  }
  const stdout = flags.json ? `${JSON.stringify(report, null, 2)}\n` : formatAnalysis(file, report);
  return { report, stdout };
}

/** `--threads` (checked by its option parser), else several threads for large files. */
function chooseThreads(flag: number | undefined, size: number): number {
  if (flag === undefined) return size >= PARALLEL_MIN_BYTES ? Math.min(availableParallelism(), 4) : 1;
  return flag;
}

/** Runs one worker per range; progress adds up the bytes each has read. */
async function analyzeInWorkers(
  base: RangeTask,
  ranges: { start: number; end: number }[],
  progress: SingleBar | null,
): Promise<RangeResult[]> {
  const bytes = ranges.map(() => 0);
  const records = ranges.map(() => 0);
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  return Promise.all(
    ranges.map(
      (range, i) =>
        new Promise<RangeResult>((resolve, reject) => {
          const worker = new Worker(new URL('./analyze-worker.ts', import.meta.url), {
            workerData: { ...base, range } satisfies RangeTask,
          });
          worker.on('message', (message: WorkerMessage) => {
            if (message.type === 'progress') {
              bytes[i] = message.bytes;
              records[i] = message.records;
              progress?.update(sum(bytes), { records: sum(records) });
            } else if (message.type === 'done') resolve(message.result);
            else reject(message.userFacing ? new CliError(message.message) : new Error(message.message));
          });
          worker.on('error', reject);
          worker.on(
            'exit',
            (code) => code !== 0 && reject(new Error(`analyze worker exited with code ${code}`)),
          );
        }),
    ),
  );
}

type WorkerMessage =
  | { type: 'progress'; bytes: number; records: number }
  | { type: 'done'; result: RangeResult }
  | { type: 'error'; message: string; userFacing: boolean };

/**
 * Every range's issues with file-wide record indexes and lines, plus ids that repeat an id of an
 * earlier range (each range finds its own repeats).
 */
function shiftedIssues(results: readonly RangeResult[]): InputIssue[] {
  const issues: InputIssue[] = [];
  const firstAt = new Map<string, number>();
  let indexOffset = 0;
  let lineOffset = 0;
  for (const result of results) {
    const line = (l: number | null) => (l === null ? null : l + lineOffset);
    for (const issue of result.issues) {
      issues.push(describeIssue({ ...issue, index: issue.index + indexOffset, line: line(issue.line) }));
    }
    // A range lists each of its ids once (it reports its own repeats), so a known id is from an
    // earlier range.
    for (const [id, index, idLine] of result.ids) {
      const first = firstAt.get(id);
      if (first === undefined) {
        firstAt.set(id, index + indexOffset);
        continue;
      }
      const message = `duplicate id ${JSON.stringify(id)} (first at record ${first})`;
      issues.push(
        describeIssue({
          kind: 'record',
          index: index + indexOffset,
          line: line(idLine),
          field: 'id',
          message,
        }),
      );
    }
    indexOffset += result.records;
    lineOffset += result.lines;
  }
  return issues;
}

function describeIssue(issue: RecordIssue): InputIssue {
  if (issue.kind === 'json') return { where: `line ${issue.line}`, message: issue.message };
  const record = issue.line === null ? `record ${issue.index}` : `record ${issue.index} (line ${issue.line})`;
  return { where: `${record} ${issue.field}`, message: issue.message };
}

async function writeEtalonFiles(
  dir: string,
  report: AnalysisReport,
  deadlines: DeadlineOptions,
  predicted: boolean,
  rows: EtalonRequestRow[],
): Promise<void> {
  const s = report.summary;
  try {
    await writeEtalonDir(dir, {
      requests: rows,
      launchedRequests: s.requests,
      erroredRequests: s.failed,
      serviceLevel: {
        missed: s.service_level.missed_deadlines,
        total: s.service_level.total_deadlines,
        missRate: s.service_level.miss_rate,
      },
      throughput: {
        tpotBased: s.throughput.tpot_based_throughput,
        tbtBased: s.throughput.tbt_based_throughput,
        fluid: s.throughput.fluid_token_generation_rate,
      },
      missRateCurve: s.miss_rate_curve!.p99_miss_rate.map((v) => v ?? 0),
      deadlines: {
        ttftDeadline_s: deadlines.ttft_deadline_s,
        tbtDeadline_s: deadlines.tbt_deadline_s,
        targetMissRate: deadlines.target_miss_rate,
        ttftSlack_s: predicted ? deadlines.ttft_slack_s : 0,
        usePredictions: predicted,
      },
    });
  } catch (error) {
    throw new CliError(`cannot write etalon files to ${dir}: ${describeFsError(error)}`);
  }
}

/** Every deadline flag checked at once, named as the user typed it. */
function parseDeadlineFlags(flags: AnalyzeFlags): DeadlineOptions {
  const flagNames = {
    ttft_deadline_s: ['--ttft-deadline', flags.ttftDeadline],
    tbt_deadline_s: ['--tbt-deadline', flags.tbtDeadline],
    target_miss_rate: ['--target-miss-rate', flags.targetMissRate],
    ttft_slack_s: ['--ttft-slack', flags.ttftSlack],
  } as const;
  const raw: Record<string, number> = {};
  const issues: InputIssue[] = [];
  for (const [key, [flag, value]] of Object.entries(flagNames)) {
    if (value === undefined) continue;
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n))
      issues.push({ where: flag, message: `expected a number, got ${JSON.stringify(value)}` });
    else raw[key] = n;
  }
  const parsed = deadlineOptionsSchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const key = String(issue.path[0]) as keyof typeof flagNames;
      issues.push({ where: flagNames[key]?.[0] ?? key, message: issue.message });
    }
  }
  if (flags.ttftSlack !== undefined && !flags.prefillProfile) {
    issues.push({ where: '--ttft-slack', message: 'only applies with --prefill-profile' });
  }
  if (flags.ttftDeadline !== undefined && flags.prefillProfile) {
    issues.push({
      where: '--ttft-deadline',
      message: 'conflicts with --prefill-profile (which predicts the TTFT deadline)',
    });
  }
  if (issues.length > 0 || !parsed.success) throw new CliError(`invalid options: ${formatIssues(issues)}`);
  return parsed.data;
}

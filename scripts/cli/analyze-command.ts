import { readFile } from 'node:fs/promises';
import { Presets, SingleBar } from 'cli-progress';
import { type AnalysisReport, Analyzer } from '../../src/core/metrics/analysis.ts';
import { type DeadlineOptions, deadlineOptionsSchema } from '../../src/core/metrics/deadline-options.ts';
import { missRate } from '../../src/core/metrics/fluidity.ts';
import type { RequestMetrics } from '../../src/core/metrics/request-metrics.ts';
import { requestRecordSchema } from '../../src/core/metrics/request-record.ts';
import { usToS } from '../../src/core/metrics/units.ts';
import { predictPrefillUs } from '../../src/core/profile/prefill-predictor.ts';
import { loadPrefillProfile } from '../../src/core/profile/prefill-profile-file.ts';
import { CliError, formatIssues, formatPath } from './cli-error.ts';
import type { EtalonRequestRow } from './etalon/etalon-files.ts';
import { writeEtalonDir } from './etalon/etalon-output.ts';
import { formatAnalysis } from './format-analysis.ts';
import { describeFsError, type InputIssue, openRecords, recordValue } from './read-records.ts';

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

/**
 * `fluidbench analyze FILE`: validates every record first (all issues reported together), then
 * prints the summary (or JSON) and optionally writes etalon's file set.
 */
export async function analyzeCommand(file: string, flags: AnalyzeFlags): Promise<AnalyzeResult> {
  const deadlines = parseDeadlineFlags(flags);
  const predictor = flags.prefillProfile ? await readPrefillPredictor(flags.prefillProfile) : undefined;
  const etalonRows: EtalonRequestRow[] | null = flags.etalonDir ? [] : null;
  const analyzer = new Analyzer({
    deadlines,
    predictPrefillUs: predictor,
    keepRequests: flags.json === true,
    missRateCurve: flags.curve === true || flags.etalonDir !== undefined,
    // The CLI holds all values, so percentiles stay exact unless a distribution is enormous.
    exactLimit: 1 << 20,
    onRequest: etalonRows
      ? (m) => m.outcome === 'ok' && m.ttftUs !== null && etalonRows.push(etalonRow(m))
      : undefined,
  });

  const issues: InputIssue[] = [];
  const input = await openRecords(file);
  const seenIds = new Map<string, number>();
  const progress = startProgress(input.totalBytes, flags.progress);
  for await (const batch of input.batches) {
    progress?.update(input.bytesRead(), { records: seenIds.size });
    for (const raw of batch) {
      const where = raw.line === null ? `record ${raw.index}` : `record ${raw.index} (line ${raw.line})`;
      const value = recordValue(raw, issues);
      if (value === undefined) continue;
      const parsed = requestRecordSchema.safeParse(value);
      if (!parsed.success) {
        for (const issue of parsed.error.issues) {
          issues.push({
            where: `${where} ${formatPath(issue.path) || '(record)'}`.trim(),
            message: issue.message,
          });
        }
        continue;
      }
      const first = seenIds.get(parsed.data.id);
      if (first !== undefined) {
        issues.push({
          where: `${where} id`,
          message: `duplicate id ${JSON.stringify(parsed.data.id)} (first at record ${first})`,
        });
        continue;
      }
      seenIds.set(parsed.data.id, raw.index);
      if (issues.length === 0) analyzer.add(parsed.data);
    }
  }
  progress?.stop();
  if (issues.length > 0) throw new CliError(`${file}: ${issues.length} invalid: ${formatIssues(issues)}`);
  if (seenIds.size === 0) throw new CliError(`${file} holds no request records`);

  const report = analyzer.report();
  if (flags.etalonDir && etalonRows) {
    const s = report.summary;
    try {
      await writeEtalonDir(flags.etalonDir, {
        requests: etalonRows,
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
          ttftSlack_s: predictor ? deadlines.ttft_slack_s : 0,
          usePredictions: predictor !== undefined,
        },
      });
    } catch (error) {
      throw new CliError(`cannot write etalon files to ${flags.etalonDir}: ${describeFsError(error)}`);
    }
  }
  const stdout = flags.json ? `${JSON.stringify(report, null, 2)}\n` : formatAnalysis(file, report);
  return { report, stdout };
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

async function readPrefillPredictor(path: string): Promise<(promptTokens: number) => number> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read prefill profile ${path}: ${describeFsError(error)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new CliError(`prefill profile ${path}: invalid JSON: ${(error as Error).message}`);
  }
  try {
    const { predictor } = loadPrefillProfile(json);
    return (promptTokens) => predictPrefillUs(predictor, promptTokens);
  } catch (error) {
    throw new CliError(`prefill profile ${path}: ${(error as Error).message.replace(/\s*\n\s*/g, '; ')}`);
  }
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

import type { RunResults } from '../core/api/run-results-schema.ts';
import { ALL_REGIONS } from '../core/history/headline-metrics.ts';
import { requestRecordSchema } from '../core/record/request-record.ts';
import { COMPARE_RUNS, type CompareInput, compareRuns } from '../core/report/compare-runs.ts';
import { COMPARE_MAX_RECORDS, CompareSamples } from '../core/report/compare-samples.ts';
import { formatComparison } from '../core/report/format-compare.ts';
import { ApiCallError, ApiClient, DEFAULT_PAGE_SIZE } from './api-client.ts';
import { CliError, EXIT_BAD_INPUT } from './cli-error.ts';
import { type Output, writeStdout } from './run-command.ts';

export interface CompareFlags {
  url?: string;
  region: string;
  /** false (`--no-records`): the figures only, without reading records for intervals. */
  records: boolean;
  json?: boolean;
}

/**
 * `fluidbench compare ID ID …`: the runs' headline figures side by side with deltas against the
 * first, each with a 95% interval computed from the run's exported records (docs/compare.md).
 */
export async function compareCommand(
  args: string[],
  flags: CompareFlags,
  out: Output = writeStdout,
): Promise<void> {
  if (args.length < COMPARE_RUNS.min || args.length > COMPARE_RUNS.max)
    throw new CliError(
      `compare takes ${COMPARE_RUNS.min} to ${COMPARE_RUNS.max} run ids, got ${args.length}`,
    );
  // `ID@REGION` compares that region of the run; a bare ID the --region one.
  const wanted = args.map((arg) => {
    const at = arg.lastIndexOf('@');
    return at > 0 ? { id: arg.slice(0, at), region: arg.slice(at + 1) } : { id: arg, region: flags.region };
  });
  const bad = wanted.find((w) => w.region === '');
  if (bad) throw new CliError(`${bad.id}@: a region name must follow @`);
  const keys = wanted.map((w) => `${w.id}@${w.region}`);
  const repeated = keys.find((key, i) => keys.indexOf(key) !== i);
  if (repeated !== undefined) throw new CliError(`${repeated} is given twice`);
  const client = await ApiClient.fromEnvironment(flags.url);

  const all = new Map<string, RunResults>();
  for (const { id } of wanted) if (!all.has(id)) all.set(id, await resultsOf(client, id));
  for (const { id, region } of wanted) {
    const results = all.get(id)!;
    if (region !== ALL_REGIONS && results.summary.regions[region] === undefined)
      throw new CliError(
        `run ${id} has no region ${region} (it ran in ${Object.keys(results.summary.regions).sort().join(', ') || 'none'})`,
      );
  }

  const inputs: CompareInput[] = [];
  for (const { id, region } of wanted) {
    const results = all.get(id)!;
    if (!flags.records) {
      inputs.push({ results, region, intervals: null, records: null });
      continue;
    }
    const samples = new CompareSamples(
      results.summary.deadlines,
      region === ALL_REGIONS ? undefined : region,
    );
    let read = 0;
    pages: for await (const page of client.requestPages(id, DEFAULT_PAGE_SIZE)) {
      for (const line of page.lines) {
        const record = requestRecordSchema.safeParse(JSON.parse(line));
        if (record.success) samples.add(record.data);
        if (++read >= COMPARE_MAX_RECORDS) break pages;
      }
    }
    if (read === 0) process.stderr.write(`run ${id} has no stored records (pruned?): no intervals\n`);
    inputs.push(
      read === 0
        ? { results, region, intervals: null, records: null }
        : { results, region, intervals: samples.intervals(), records: samples.records },
    );
  }
  const comparison = compareRuns(inputs);
  out(flags.json ? `${JSON.stringify(comparison, null, 2)}\n` : formatComparison(comparison));
}

/** The run's results; an unknown or unfinished run is bad input naming the id. */
async function resultsOf(client: ApiClient, id: string): Promise<RunResults> {
  try {
    return await client.getResults(id);
  } catch (error) {
    if (error instanceof ApiCallError && error.status === 404)
      throw new CliError(`unknown run id: ${id}`, EXIT_BAD_INPUT);
    if (error instanceof ApiCallError && error.status === 409)
      throw new CliError(
        `run ${id} has no results to compare: ${error.message.replace(/^conflict: /, '')}`,
        EXIT_BAD_INPUT,
      );
    throw error;
  }
}

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
  ids: string[],
  flags: CompareFlags,
  out: Output = writeStdout,
): Promise<void> {
  if (ids.length < COMPARE_RUNS.min || ids.length > COMPARE_RUNS.max)
    throw new CliError(`compare takes ${COMPARE_RUNS.min} to ${COMPARE_RUNS.max} run ids, got ${ids.length}`);
  const repeated = ids.find((id, i) => ids.indexOf(id) !== i);
  if (repeated !== undefined) throw new CliError(`run id ${repeated} is given twice`);
  const client = await ApiClient.fromEnvironment(flags.url);

  const all: RunResults[] = [];
  for (const id of ids) all.push(await resultsOf(client, id));
  if (flags.region !== ALL_REGIONS) {
    const without = all.find((r) => r.summary.regions[flags.region] === undefined);
    if (without)
      throw new CliError(
        `run ${without.id} has no region ${flags.region} (it ran in ${Object.keys(without.summary.regions).sort().join(', ') || 'none'})`,
      );
  }

  const inputs: CompareInput[] = [];
  for (const results of all) {
    if (!flags.records) {
      inputs.push({ results, intervals: null, records: null });
      continue;
    }
    const samples = new CompareSamples(
      results.summary.deadlines,
      flags.region === ALL_REGIONS ? undefined : flags.region,
    );
    let read = 0;
    pages: for await (const page of client.requestPages(results.id, DEFAULT_PAGE_SIZE)) {
      for (const line of page.lines) {
        const record = requestRecordSchema.safeParse(JSON.parse(line));
        if (record.success) samples.add(record.data);
        if (++read >= COMPARE_MAX_RECORDS) break pages;
      }
    }
    if (read === 0) process.stderr.write(`run ${results.id} has no stored records (pruned?): no intervals\n`);
    inputs.push(
      read === 0
        ? { results, intervals: null, records: null }
        : { results, intervals: samples.intervals(), records: samples.records },
    );
  }
  const comparison = compareRuns(inputs, flags.region);
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

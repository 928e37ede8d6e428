import { formatResults, resultsCsv } from '../core/report/format-results.ts';
import { ApiClient } from './api-client.ts';
import { type Output, writeStdout } from './run-command.ts';

export interface ResultsFlags {
  url?: string;
  json?: boolean;
  csv?: boolean;
}

/** `fluidbench results ID`: a finished run's metrics as a summary, JSON or per-region CSV (--json wins). */
export async function resultsCommand(
  id: string,
  flags: ResultsFlags,
  out: Output = writeStdout,
): Promise<void> {
  const client = await ApiClient.fromEnvironment(flags.url);
  const results = await client.getResults(id);
  out(
    flags.json
      ? `${JSON.stringify(results, null, 2)}\n`
      : flags.csv
        ? resultsCsv(results)
        : formatResults(results),
  );
}

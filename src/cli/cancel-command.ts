import { ApiClient } from './api-client.ts';
import { type Output, writeStdout } from './run-command.ts';

export interface CancelFlags {
  url?: string;
  json?: boolean | undefined;
}

/** `fluidbench cancel ID`: asks the run to stop; a finished run is a conflict (exit 1). */
export async function cancelCommand(
  id: string,
  flags: CancelFlags,
  out: Output = writeStdout,
): Promise<void> {
  const client = await ApiClient.fromEnvironment(flags.url);
  const answer = await client.cancelRun(id);
  out(
    flags.json
      ? `${JSON.stringify(answer, null, 2)}\n`
      : `run ${answer.id}: cancelling (it was ${answer.state}); in-flight requests end as cancelled\n`,
  );
}

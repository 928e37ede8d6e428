// Worker-thread entry of `analyze --threads N`: analyses one byte range and posts the result.
import { parentPort, workerData } from 'node:worker_threads';
import { analyzeRange, type RangeTask } from './analyze-range.ts';
import { CliError } from './cli-error.ts';

const port = parentPort!;
try {
  const result = await analyzeRange(workerData as RangeTask, (bytes, records) =>
    port.postMessage({ type: 'progress', bytes, records }),
  );
  port.postMessage({ type: 'done', result });
} catch (error) {
  // A CliError is a user-facing problem; anything else is a bug and keeps its stack.
  const userFacing = error instanceof CliError;
  port.postMessage({
    type: 'error',
    message: userFacing ? error.message : ((error as Error).stack ?? String(error)),
    userFacing,
  });
}

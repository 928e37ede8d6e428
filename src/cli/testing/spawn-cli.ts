import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// The one way tests run the real CLI: bin/fluidbench.mjs in a child process with this Node (24
// under vitest), resolving with its exit code and output whatever the code (a non-zero exit is an
// answer to assert on, not an error).

export const REPO = fileURLToPath(new URL('../../..', import.meta.url));
const CLI = path.join(REPO, 'bin', 'fluidbench.mjs');

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

interface SpawnCliOptions {
  /** Working directory (default: the repository root). */
  cwd?: string;
  /** Added to this process's environment. */
  env?: Record<string, string>;
  /** Killed after this long (default 60 s). */
  timeoutMs?: number;
}

/** Runs `fluidbench ARGS`; rejects only when the process could not run or was killed. */
export function spawnCli(args: readonly string[], options: SpawnCliOptions = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      {
        cwd: options.cwd ?? REPO,
        env: { ...process.env, ...options.env },
        encoding: 'utf8',
        timeout: options.timeoutMs ?? 60_000,
        maxBuffer: 64 << 20,
      },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number')
          reject(new Error(`fluidbench ${args.join(' ')}: ${error.message}\n${stderr}`, { cause: error }));
        else resolve({ code: error ? (error.code as number) : 0, stdout, stderr });
      },
    );
  });
}

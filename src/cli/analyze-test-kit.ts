import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, type ExpectStatic } from 'vitest';
import { type CliRun, REPO, spawnCli } from './testing/spawn-cli.ts';

// Shared kit for the end-to-end tests of `fluidbench analyze` (analyze-*.test.ts): every case
// spawns the real CLI (bin/fluidbench.mjs) with this Node (24 under vitest) on files in a temp
// directory. Spawns are slow, so the tests run concurrently; each one uses its own file names.

export { REPO };
export const VECTORS = path.resolve(REPO, '../shared/vectors');

export type Run = CliRun;

/** Runs `fluidbench analyze ARGS` from the repo root and resolves with its exit code and output. */
export function analyze(...args: string[]): Promise<Run> {
  return spawnCli(['analyze', ...args], { timeoutMs: 30_000 });
}

/**
 * A temporary directory for one test file (created before its tests, removed after). `file`
 * writes content to a fresh file there and returns its path.
 */
export function scratchDir(): {
  dir: () => string;
  file: (name: string, content: string) => Promise<string>;
} {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'fluidbench-analyze-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  return {
    dir: () => dir,
    file: async (name, content) => {
      const target = path.join(dir, name);
      await writeFile(target, content);
      return target;
    },
  };
}

export const jsonl = (records: readonly unknown[]) => `${records.map((r) => JSON.stringify(r)).join('\n')}\n`;

/** Exit 2, nothing on stdout, one `fluidbench: ` line on stderr without a stack trace. */
export function expectBadInput(expect: ExpectStatic, run: Run, ...patterns: (string | RegExp)[]): void {
  expect(run.code, run.stderr).toBe(2);
  expect(run.stdout).toBe('');
  expect(run.stderr).toMatch(/^fluidbench: [^\n]+\n$/);
  expect(run.stderr).not.toMatch(/\n\s+at |Error:|unexpected error/);
  for (const pattern of patterns) expect(run.stderr).toMatch(pattern);
}

export function expectOk(expect: ExpectStatic, run: Run): void {
  expect(run.code, run.stderr).toBe(0);
  expect(run.stderr).toBe('');
}

/** Relative closeness for computed floats (percentile interpolation, reciprocals). */
export function expectClose(expect: ExpectStatic, actual: unknown, expected: number, rel = 1e-12): void {
  expect(typeof actual).toBe('number');
  expect(Math.abs((actual as number) - expected)).toBeLessThanOrEqual(rel * Math.abs(expected));
}

// A small hand-computed run (default deadlines: TTFT 0.3 s, TBT 0.05 s, target miss rate 0.1).
// Inter-token times in µs (docs/metrics.md#token-times) and deadline schedules (docs/metrics.md#fluidity-index):
//   a: [100000, 50000, 350000, 0]. Slack 200000 after the first token, 200000 after the second;
//      the third is late: floor((350000 − 200000) / 50000) = 3 missed; the fourth meets: 3 of 6.
//      TPOT (500000 − 100000) / 3 µs. Min TBT deadline 100000 µs (the third token just meets
//      D + slack = 2D + 150000); decode-only minimum 200000 µs (350000 ≤ 2D − 50000).
//   b: [400000], one late token: 1 + floor(100000 / 50000) = 3 missed of 3; no deadline reaches
//      the target (null).
//   c: a timeout with no output: no deadlines, every latency null.
//   d: [200000, 30000], no region: 0 of 2; min TBT deadline 1 µs, decode-only 30000 µs.
//   e: rate limited, no output.
export const A = {
  id: 'a',
  region: 'us',
  sent_at_ms: 0,
  prompt_tokens: 100,
  output_tokens: 4,
  chunks: [
    [100, 1],
    [150, 1],
    [500, 2],
  ],
  token_count_source: 'usage_stream',
  outcome: 'ok',
};
export const B = {
  id: 'b',
  region: 'eu',
  sent_at_ms: 1000,
  prompt_tokens: 200,
  output_tokens: 1,
  chunks: [[400, 1]],
  token_count_source: 'usage_final',
  outcome: 'ok',
};
export const C = {
  id: 'c',
  region: 'eu',
  sent_at_ms: 2000,
  prompt_tokens: 300,
  output_tokens: 0,
  chunks: [],
  token_count_source: 'usage_stream',
  outcome: 'timeout',
  error: 'no first token within 60 s',
};
export const D = {
  id: 'd',
  sent_at_ms: 3000,
  prompt_tokens: 50,
  output_tokens: 2,
  chunks: [
    [200, 1],
    [230, 1],
  ],
  token_count_source: 'tokenizer',
  outcome: 'ok',
};
export const E = {
  id: 'e',
  region: 'us',
  sent_at_ms: 4000,
  prompt_tokens: 10,
  output_tokens: 0,
  chunks: [],
  token_count_source: 'events',
  outcome: 'rate_limited',
  status: 429,
};
export const RECORDS = [A, B, C, D, E];

export const ROW_KEYS = [
  'id',
  'outcome',
  'output_tokens',
  'ttft_s',
  'tpot_s',
  'e2e_s',
  'normalized_e2e_s',
  'missed_deadlines',
  'total_deadlines',
  'miss_rate',
  'fluidity_index',
  'min_tbt_deadline_s',
  'decode_only_min_tbt_deadline_s',
];

// biome-ignore lint/suspicious/noExplicitAny: parsed CLI output, checked field by field
export type Json = any;

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import type { EtalonExportData, EtalonRequestRow } from './etalon-output.ts';

// Shared test data: a two-request example in etalon's format plus a 1-token request.

export const ROWS: EtalonRequestRow[] = [
  {
    prompt_tokens: 512,
    output_tokens: 4,
    ttft_s: 0.153,
    tbt_s: [0.02, 0, 0.043],
    tpot_s: 0.021,
    e2e_s: 0.216,
    normalized_e2e_s: 0.054,
    output_throughput: 18.51851851851852,
    miss_rate: 0.4,
    min_tbt_deadline_s: 0.0431,
  },
  {
    prompt_tokens: 1024,
    output_tokens: 3,
    ttft_s: 0.301,
    tbt_s: [0.021, 0.02],
    tpot_s: 0.0205,
    e2e_s: 0.342,
    normalized_e2e_s: 0.114,
    output_throughput: 8.771929824561404,
    miss_rate: 0.5,
    min_tbt_deadline_s: null,
  },
  {
    prompt_tokens: 7,
    output_tokens: 1,
    ttft_s: 0.5,
    tbt_s: [],
    tpot_s: null,
    e2e_s: 0.5,
    normalized_e2e_s: 0.5,
    output_throughput: 2,
    miss_rate: 1,
    min_tbt_deadline_s: null,
  },
];

export function makeData(overrides: Partial<EtalonExportData> = {}): EtalonExportData {
  return {
    requests: ROWS,
    launchedRequests: 4,
    erroredRequests: 1,
    serviceLevel: { missed: 5, total: 12, missRate: 5 / 12 },
    throughput: { tpotBased: 1 / 0.02075, tbtBased: 1 / 0.04212, fluid: null },
    missRateCurve: Array.from({ length: 100 }, (_, i) => (i < 20 ? 1 : 1 / (i + 1))),
    deadlines: {
      ttftDeadline_s: 0.1,
      tbtDeadline_s: 0.05,
      targetMissRate: 0.1,
      ttftSlack_s: 0,
      usePredictions: false,
    },
    ...overrides,
  };
}

/** A fresh temporary directory per test, removed afterwards; `root()` gives its path. */
export function useTempRoot(): { root: () => string; read: (dir: string, name: string) => Promise<string> } {
  let root = '';
  beforeEach(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'fluidbench-etalon-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });
  return { root: () => root, read: (dir, name) => readFile(path.join(dir, name), 'utf8') };
}

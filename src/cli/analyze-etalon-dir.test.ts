import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'vitest';
import {
  A,
  analyze,
  B,
  expectBadInput,
  expectOk,
  type Json,
  jsonl,
  RECORDS,
  scratchDir,
} from './analyze-test-kit.ts';

const { file, dir } = scratchDir();

const ETALON_FILES = [
  'deadline_miss_rate.csv',
  'end_to_end_latency.csv',
  'error_stats.json',
  'min_tbt_deadline_to_meet.csv',
  'normalized_end_to_end_latency.csv',
  'num_output_tokens.csv',
  'num_prompt_tokens.csv',
  'num_total_tokens.csv',
  'output_throughput.csv',
  'p99_deadline_miss_rate_for_target_tbt_values.json',
  'perf_metrics.csv',
  'request_level_metrics.json',
  'service_level_metrics.json',
  'tbt.csv',
  'throughput_metrics.json',
  'tpot.csv',
  'ttft.csv',
];

describe.concurrent('fluidbench analyze --etalon-dir', () => {
  it("writes etalon's file set from the analysed records", async ({ expect }) => {
    const root = path.join(dir(), 'etalon-ok');
    const target = path.join(root, 'nested', 'run');
    const input = await file('etalon-in.jsonl', jsonl(RECORDS));
    const [run, json] = await Promise.all([analyze(input, '--etalon-dir', target), analyze(input, '--json')]);
    expectOk(expect, run);
    expectOk(expect, json);
    expect(run.stdout).toMatch(/^Service level: 6 of 11 deadlines missed/m);
    expect((await readdir(target)).sort()).toEqual(ETALON_FILES);
    // Missing parents are created; no temporary directory is left next to the target.
    expect(await readdir(path.join(root, 'nested'))).toEqual(['run']);
    const read = async (name: string): Promise<Json> =>
      JSON.parse(await readFile(path.join(target, name), 'utf8'));

    // A dict of parallel lists, one entry per successful request with output (a, b, d).
    const perRequest = await read('request_level_metrics.json');
    expect(Object.keys(perRequest)).toEqual([
      'num_prompt_tokens',
      'num_output_tokens',
      'num_total_tokens',
      'tpot',
      'ttft',
      'tbt',
      'end_to_end_latency',
      'normalized_end_to_end_latency',
      'output_throughput',
      'deadline_miss_rate',
      'min_tbt_deadline_to_meet',
    ]);
    for (const values of Object.values(perRequest)) expect(values).toHaveLength(3);
    expect(perRequest.num_output_tokens).toEqual([4, 1, 2]);
    expect(perRequest.ttft).toEqual([0.1, 0.4, 0.2]);
    expect(perRequest.tbt).toEqual([[0.05, 0.35, 0], [], [0.03]]);
    expect(perRequest.tpot[1]).toBe(0); // etalon's value below 2 tokens
    expect(perRequest.deadline_miss_rate).toEqual([0.5, 1, 0]);
    expect(perRequest.min_tbt_deadline_to_meet).toEqual([0.1, 1e10, 0.000001]); // 1e10: unreachable

    const expected: Json = JSON.parse(json.stdout).throughput;
    expect(await read('throughput_metrics.json')).toEqual({
      tpot_based_throughput: expected.tpot_based_throughput,
      tbt_based_throughput: expected.tbt_based_throughput,
      deadline_based_throughput: expected.fluid_token_generation_rate,
    });
    expect(await read('service_level_metrics.json')).toEqual({
      service_level_missed_deadlines: 6,
      service_level_total_deadlines: 11,
      service_level_deadline_miss_rate: 6 / 11,
    });
    const curve = await read('p99_deadline_miss_rate_for_target_tbt_values.json');
    expect(Object.keys(curve)).toEqual(['Target TBT (ms)', 'Miss Rate P(99)']);
    expect(curve['Target TBT (ms)']).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(curve['Miss Rate P(99)']).toHaveLength(100);
    const errors = await read('error_stats.json');
    expect(errors).toMatchObject({
      'Number of Requests': 5,
      'Number of Errored Requests': 2,
      'Number of Completed Requests': 3,
      'Error Rate': 0.4,
    });
  });

  it('bad input leaves no directory behind', async ({ expect }) => {
    const root = path.join(dir(), 'etalon-bad');
    await mkdir(root);
    const input = await file('etalon-bad.jsonl', jsonl([A, { ...B, chunks: [[-1, 1]] }]));
    const run = await analyze(input, '--etalon-dir', path.join(root, 'out'));
    expectBadInput(expect, run, /record 1 \(line 2\) chunks\[0\]\[0\]/);
    expect(await readdir(root)).toEqual([]);
  });

  it('an unwritable target (its parent is a file) exits 2 and leaves nothing behind', async ({ expect }) => {
    const root = path.join(dir(), 'etalon-unwritable');
    await mkdir(root);
    const blocker = path.join(root, 'a-file');
    await writeFile(blocker, 'keep me');
    const target = path.join(blocker, 'out');
    const run = await analyze(
      await file('etalon-unwritable.json', JSON.stringify(RECORDS)),
      '--etalon-dir',
      target,
    );
    expectBadInput(expect, run, `cannot write etalon files to ${target}: `);
    expect(await readdir(root)).toEqual(['a-file']);
    expect(await readFile(blocker, 'utf8')).toBe('keep me');
  });
});

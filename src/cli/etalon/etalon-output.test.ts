import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { percentile } from '../../core/metrics/percentile.ts';
import { cdfRows, ETALON_FILE_NAMES, writeEtalonDir } from './etalon-output.ts';
import { makeData, useTempRoot } from './etalon-test-fixture.ts';

const MISS_RATE_NAME =
  'Deadline Miss Rate with 0.05s TBT Deadline, 0.1s TTFT Deadline, 0.0s TTFT Slack, Using Predictions for TTFT: False ';

const temp = useTempRoot();
const { read } = temp;

describe('writeEtalonDir file contents', () => {
  let dir = '';
  let written: string[] = [];
  beforeEach(async () => {
    dir = path.join(temp.root(), 'run');
    written = await writeEtalonDir(dir, makeData());
  });

  it('writes etalon’s 17 files in etalon’s order and returns their paths', async () => {
    expect(written.map((p) => path.basename(p))).toEqual([
      'request_level_metrics.json',
      'num_prompt_tokens.csv',
      'num_output_tokens.csv',
      'num_total_tokens.csv',
      'tpot.csv',
      'ttft.csv',
      'tbt.csv',
      'end_to_end_latency.csv',
      'normalized_end_to_end_latency.csv',
      'output_throughput.csv',
      'deadline_miss_rate.csv',
      'min_tbt_deadline_to_meet.csv',
      'service_level_metrics.json',
      'perf_metrics.csv',
      'error_stats.json',
      'p99_deadline_miss_rate_for_target_tbt_values.json',
      'throughput_metrics.json',
    ]);
    expect(written.every((p) => path.dirname(p) === dir)).toBe(true);
    expect((await readdir(dir)).sort()).toEqual([...ETALON_FILE_NAMES].sort());
  });

  it('writes request_level_metrics.json byte for byte as json.dump would', async () => {
    // Printed by CPython's json.dumps for the same values.
    expect(await read(dir, 'request_level_metrics.json')).toBe(
      '{"num_prompt_tokens": [512, 1024, 7], "num_output_tokens": [4, 3, 1], "num_total_tokens": [516, 1027, 8], ' +
        '"tpot": [0.021, 0.0205, 0], "ttft": [0.153, 0.301, 0.5], "tbt": [[0.02, 0.0, 0.043], [0.021, 0.02], []], ' +
        '"end_to_end_latency": [0.216, 0.342, 0.5], "normalized_end_to_end_latency": [0.054, 0.114, 0.5], ' +
        '"output_throughput": [18.51851851851852, 8.771929824561404, 2.0], "deadline_miss_rate": [0.4, 0.5, 1.0], ' +
        '"min_tbt_deadline_to_meet": [0.0431, 10000000000.0, 10000000000.0]}',
    );
  });

  it('writes the service-level, throughput and miss-rate-curve files', async () => {
    expect(await read(dir, 'service_level_metrics.json')).toBe(
      '{"service_level_missed_deadlines": 5, "service_level_total_deadlines": 12, "service_level_deadline_miss_rate": 0.4166666666666667}',
    );
    expect(await read(dir, 'throughput_metrics.json')).toBe(
      '{"tpot_based_throughput": 48.192771084337345, "tbt_based_throughput": 23.741690408357076, "deadline_based_throughput": null}',
    );
    const curve = JSON.parse(await read(dir, 'p99_deadline_miss_rate_for_target_tbt_values.json'));
    expect(Object.keys(curve)).toEqual(['Target TBT (ms)', 'Miss Rate P(99)']);
    expect(curve['Target TBT (ms)']).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(curve['Miss Rate P(99)']).toEqual(makeData().missRateCurve);
  });

  it('writes CDF CSVs with 101 clean cdf steps and exact type-7 values', async () => {
    const text = await read(dir, 'ttft.csv');
    const lines = text.split('\n');
    expect(lines[0]).toBe(',cdf,Time to First Token');
    expect(lines).toHaveLength(103); // header, 101 rows, '' after the final newline
    expect(lines[102]).toBe('');
    expect(lines[1]).toBe('0,0.0,0.153');
    expect(lines[36]).toMatch(/^35,0\.35,/);
    expect(lines[58]).toMatch(/^57,0\.57,/);
    expect(lines[101]).toBe('100,1.0,0.5');
    expect(text).not.toMatch(/^\d+,\d\.\d*(0000000|9999999)\d*,/m); // no linspace artefacts
    lines.slice(1, 102).forEach((line, i) => {
      const [index, cdf, value] = line.split(',');
      expect(Number(index)).toBe(i);
      expect(cdf).toBe(i === 0 ? '0.0' : i === 100 ? '1.0' : String(i / 100));
      expect(Number(value)).toBe(percentile([0.153, 0.301, 0.5], i / 100));
    });
  });

  it('flattens tbt, skips null tpot and null minimum deadlines, quotes the miss-rate name', async () => {
    const tbt = (await read(dir, 'tbt.csv')).split('\n');
    // numpy.quantile([0.02, 0.0, 0.043, 0.021, 0.02], 0.99) = 0.04212
    expect(Number(tbt[100]?.split(',')[2])).toBeCloseTo(0.04212, 12);
    expect(tbt[1]).toBe('0,0.0,0.0');

    const tpot = (await read(dir, 'tpot.csv')).split('\n');
    expect(tpot[1]).toBe('0,0.0,0.0205'); // etalon's 0 for the 1-token request is left out

    const minDeadline = (await read(dir, 'min_tbt_deadline_to_meet.csv')).split('\n');
    expect(minDeadline[0]).toBe(',cdf,Min Deadline to Meet Target Deadline Miss Rate of 10.0%');
    expect(minDeadline.slice(1, 102).every((line) => line.endsWith(',0.0431'))).toBe(true);

    const missRate = (await read(dir, 'deadline_miss_rate.csv')).split('\n');
    expect(missRate[0]).toBe(`,cdf,"${MISS_RATE_NAME}"`);
    expect(missRate[101]).toBe('100,1.0,1.0');
  });

  it('writes perf_metrics.csv: one header, 11 unlabelled %.5f rows, no trailing newline', async () => {
    const text = await read(dir, 'perf_metrics.csv');
    expect(text.endsWith('\n')).toBe(false);
    const lines = text.split('\n');
    expect(lines).toHaveLength(12);
    expect(lines[0]).toBe(
      'Number of Prompt Tokens (Mean),Number of Prompt Tokens (P50),Number of Prompt Tokens (P90),Number of Prompt Tokens (P99)',
    );
    // mean (512 + 1024 + 7) / 3, P50 512, P90 and P99 interpolated towards 1024
    expect(lines[1]).toBe('514.33333,512.00000,921.60000,1013.76000');
    for (const line of lines.slice(1)) expect(line).toMatch(/^-?\d+\.\d{5}(,-?\d+\.\d{5}){3}$/);
  });

  it('writes error_stats.json with the summary counts first and 4 stats per metric', async () => {
    const text = await read(dir, 'error_stats.json');
    expect(
      text.startsWith(
        '{"Number of Requests": 4, "Number of Errored Requests": 1, "Number of Completed Requests": 3, ' +
          '"Error Rate": 0.25, "Deadline Miss Rate": 0.4166666666666667, "Number of Prompt Tokens (Mean)": 514.3333333333334, ',
      ),
    ).toBe(true);
    const stats = JSON.parse(text) as Record<string, number>;
    expect(Object.keys(stats)).toHaveLength(5 + 11 * 4);
    expect(stats[`${MISS_RATE_NAME} (P50)`]).toBe(0.5);
    expect(stats['Time per Output Token (Mean)']).toBeCloseTo((0.021 + 0.0205) / 2, 15);
  });
});

describe('writeEtalonDir edge cases', () => {
  it('writes header-only CDFs and 0 summaries for empty metrics', async () => {
    const dir = path.join(temp.root(), 'empty');
    await writeEtalonDir(
      dir,
      makeData({
        requests: [],
        launchedRequests: 0,
        erroredRequests: 0,
        serviceLevel: { missed: 0, total: 0, missRate: 0 },
      }),
    );
    expect(await read(dir, 'ttft.csv')).toBe(',cdf,Time to First Token\n');
    expect(await read(dir, 'service_level_metrics.json')).toBe(
      '{"service_level_missed_deadlines": 0, "service_level_total_deadlines": 0, "service_level_deadline_miss_rate": 0}',
    );
    expect((await read(dir, 'perf_metrics.csv')).split('\n')[1]).toBe('0.00000,0.00000,0.00000,0.00000');
    expect(await read(dir, 'error_stats.json')).toMatch(/^\{"Number of Requests": 0, .*"Error Rate": 0, /);
    expect(await read(dir, 'request_level_metrics.json')).toMatch(/^\{"num_prompt_tokens": \[\], /);
  });

  it('creates missing parents and names the new deadline options in the miss-rate column', async () => {
    const dir = path.join(temp.root(), 'a', 'b', 'run');
    const deadlines = {
      ttftDeadline_s: 0.3,
      tbtDeadline_s: 0.03,
      targetMissRate: 0.05,
      ttftSlack_s: 0.3,
      usePredictions: true,
    };
    await writeEtalonDir(dir, makeData({ deadlines }));
    expect((await read(dir, 'deadline_miss_rate.csv')).split('\n')[0]).toBe(
      ',cdf,"Deadline Miss Rate with 0.03s TBT Deadline, 0.3s TTFT Deadline, 0.3s TTFT Slack, Using Predictions for TTFT: True "',
    );
    expect((await read(dir, 'min_tbt_deadline_to_meet.csv')).split('\n')[0]).toBe(
      ',cdf,Min Deadline to Meet Target Deadline Miss Rate of 5.0%',
    );
  });
});

describe('cdfRows', () => {
  it('gives evenly spaced clean quantile levels with type-7 values', () => {
    expect(cdfRows([4, 1, 3, 2], 5)).toEqual([
      [0, 1],
      [0.25, 1.75],
      [0.5, 2.5],
      [0.75, 3.25],
      [1, 4],
    ]);
    const rows = cdfRows([0.3, 0.1, 0.2, 0.05, 1.0]);
    expect(rows).toHaveLength(101);
    expect(rows[35]?.[0]).toBe(0.35);
    // numpy.quantile([0.3, 0.1, 0.2, 0.05, 1.0], [0.35, 0.57, 0.99])
    expect(rows[35]?.[1]).toBeCloseTo(0.14, 14);
    expect(rows[57]?.[1]).toBeCloseTo(0.228, 14);
    expect(rows[99]?.[1]).toBeCloseTo(0.972, 14);
  });

  it('returns no rows for no values and rejects fewer than 2 steps', () => {
    expect(cdfRows([])).toEqual([]);
    expect(() => cdfRows([1], 1)).toThrow(RangeError);
  });
});

import { describe, it } from 'vitest';
import {
  A,
  analyze,
  B,
  C,
  D,
  E,
  expectBadInput,
  expectOk,
  type Json,
  scratchDir,
} from './analyze-test-kit.ts';

// `--threads N` cuts a JSONL file into byte ranges read by worker threads. Whatever N is, the
// result must be the single-thread result: the same rows, the same summaries (exact quantiles are
// equal; means are float sums, equal up to summation order), the same problems on the same lines.

const { file } = scratchDir();

/** 60 records in three regions, ids unique, every kind of outcome. */
function manyRecords(): object[] {
  const base = [A, B, C, D, E];
  return Array.from({ length: 60 }, (_, i) => {
    const record = base[i % base.length]!;
    const region = ['eu', 'us', 'ap'][i % 3];
    return { ...record, id: `r${i}`, region };
  });
}

const lines = (records: readonly object[]) => records.map((r) => JSON.stringify(r));

/** Rounds every number to 12 significant digits: float sums may differ in the last bits. */
const rounded = (json: Json): Json =>
  JSON.parse(JSON.stringify(json, (_key, v) => (typeof v === 'number' ? Number(v.toPrecision(12)) : v)));

describe.concurrent('fluidbench analyze --threads', () => {
  it('gives the single-thread result for any number of threads (blank lines, CRLF included)', async ({
    expect,
  }) => {
    const text = `${lines(manyRecords()).join('\r\n')}\r\n\r\n`;
    const path = await file('many.jsonl', text);
    const runs = await Promise.all(['1', '2', '3', '8'].map((n) => analyze(path, '--json', '--threads', n)));
    for (const run of runs) expectOk(expect, run);
    const [one, ...others] = runs.map((run) => JSON.parse(run.stdout) as Json);
    expect(one.summary.requests).toBe(60);
    for (const other of others) {
      expect(other.requests).toEqual(one.requests); // rows: identical, in file order
      expect(rounded(other.summary)).toEqual(rounded(one.summary));
      for (const key of ['ttft_s', 'tbt_s', 'inter_chunk_s', 'e2e_s']) {
        for (const stat of ['min', 'p50', 'p90', 'p99', 'p99_9', 'max']) {
          expect(other.summary[key][stat], `${key}.${stat}`).toBe(one.summary[key][stat]); // exact: equal
        }
      }
    }
  });

  it('reports the same problems with file-wide lines and record indexes', async ({ expect }) => {
    const records = lines(manyRecords());
    records[5] = '{"id": "broken",,}';
    records[40] = JSON.stringify({
      ...A,
      id: 'bad-chunks',
      chunks: [
        [5, 1],
        [3, 1],
      ],
    });
    records[55] = JSON.stringify({ ...A, id: 'r2' }); // repeats the id of record 2, in another range
    const path = await file('bad.jsonl', `${records.join('\n')}\n`);
    const [one, two] = await Promise.all([analyze(path, '--threads', '1'), analyze(path, '--threads', '2')]);
    for (const run of [one, two]) {
      expectBadInput(
        expect,
        run,
        /3 invalid/,
        /line 6: invalid JSON/,
        /record 40 \(line 41\) chunks\[1\]\[0\]: chunk times must not decrease/,
        /record 55 \(line 56\) id: duplicate id "r2" \(first at record 2\)/,
      );
    }
    expect(two.stderr).toBe(one.stderr);
  });

  it('rejects a thread count that is not a whole number from 1 to 8', async ({ expect }) => {
    const path = await file('few.jsonl', `${lines(manyRecords().slice(0, 3)).join('\n')}\n`);
    const runs = await Promise.all(['0', '9', 'two', '1.5'].map((n) => analyze(path, '--threads', n)));
    for (const run of runs)
      expectBadInput(
        expect,
        run,
        /--threads <n>' argument '[^']*' is invalid\. expected a whole number from 1 to 8/,
      );
  });
});

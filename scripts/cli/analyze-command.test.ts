import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, type ExpectStatic, it } from 'vitest';
import { predictPrefillUs } from '../../src/core/profile/prefill-predictor.ts';
import { loadPrefillProfile } from '../../src/core/profile/prefill-profile-file.ts';

// End-to-end tests of `fluidbench analyze`: every case spawns the real CLI (scripts/fluidbench.mjs)
// with this Node (24 under vitest) on files in a temp directory. Spawns are slow, so the tests run
// concurrently; each one uses its own file names.

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const CLI = path.join(REPO, 'scripts', 'fluidbench.mjs');
const VECTORS = path.resolve(REPO, '../shared/vectors');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `fluidbench analyze ARGS` from the repo root and resolves with its exit code and output. */
function analyze(...args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [CLI, 'analyze', ...args],
      { cwd: REPO, encoding: 'utf8', timeout: 30_000, maxBuffer: 16 << 20 },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') reject(error);
        else resolve({ code: error ? (error.code as number) : 0, stdout, stderr });
      },
    );
  });
}

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'fluidbench-analyze-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Writes `content` to a fresh file in the temp directory and returns its path. */
async function file(name: string, content: string): Promise<string> {
  const target = path.join(dir, name);
  await writeFile(target, content);
  return target;
}

const jsonl = (records: readonly unknown[]) => `${records.map((r) => JSON.stringify(r)).join('\n')}\n`;

/** Exit 2, nothing on stdout, one `fluidbench: ` line on stderr without a stack trace. */
function expectBadInput(expect: ExpectStatic, run: Run, ...patterns: (string | RegExp)[]): void {
  expect(run.code, run.stderr).toBe(2);
  expect(run.stdout).toBe('');
  expect(run.stderr).toMatch(/^fluidbench: [^\n]+\n$/);
  expect(run.stderr).not.toMatch(/\n\s+at |Error:|unexpected error/);
  for (const pattern of patterns) expect(run.stderr).toMatch(pattern);
}

function expectOk(expect: ExpectStatic, run: Run): void {
  expect(run.code, run.stderr).toBe(0);
  expect(run.stderr).toBe('');
}

/** Relative closeness for computed floats (percentile interpolation, reciprocals). */
function expectClose(expect: ExpectStatic, actual: unknown, expected: number, rel = 1e-12): void {
  expect(typeof actual).toBe('number');
  expect(Math.abs((actual as number) - expected)).toBeLessThanOrEqual(rel * Math.abs(expected));
}

// A small hand-computed run (default deadlines: TTFT 0.3 s, TBT 0.05 s, target miss rate 0.1).
// Inter-token times in µs (spec §2) and deadline schedules (spec §5):
//   a: [100000, 50000, 350000, 0]. Slack 200000 after the first token, 200000 after the second;
//      the third is late: floor((350000 − 200000) / 50000) = 3 missed; the fourth meets: 3 of 6.
//      TPOT (500000 − 100000) / 3 µs. Min TBT deadline 100000 µs (the third token just meets
//      D + slack = 2D + 150000); decode-only minimum 200000 µs (350000 ≤ 2D − 50000).
//   b: [400000], one late token: 1 + floor(100000 / 50000) = 3 missed of 3; no deadline reaches
//      the target (null).
//   c: a timeout with no output: no deadlines, every latency null.
//   d: [200000, 30000], no region: 0 of 2; min TBT deadline 1 µs, decode-only 30000 µs.
//   e: rate limited, no output.
const A = {
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
const B = {
  id: 'b',
  region: 'eu',
  sent_at_ms: 1000,
  prompt_tokens: 200,
  output_tokens: 1,
  chunks: [[400, 1]],
  token_count_source: 'usage_final',
  outcome: 'ok',
};
const C = {
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
const D = {
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
const E = {
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
const RECORDS = [A, B, C, D, E];

const ROW_KEYS = [
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
type Json = any;

describe.concurrent('fluidbench analyze --json', () => {
  it('computes the hand-worked example', async ({ expect }) => {
    const run = await analyze(await file('hand.json', JSON.stringify(RECORDS)), '--json');
    expectOk(expect, run);
    const out: Json = JSON.parse(run.stdout);
    expect(Object.keys(out)).toEqual(['requests', 'summary', 'throughput', 'service_level']);

    const rows: Json[] = out.requests;
    expect(rows.map((r) => r.id)).toEqual(['a', 'b', 'c', 'd', 'e']);
    for (const row of rows) expect(Object.keys(row)).toEqual(expect.arrayContaining(ROW_KEYS));
    const [a, b, c, d, e] = rows;

    expect(a).toMatchObject({
      outcome: 'ok',
      region: 'us',
      output_tokens: 4,
      ttft_s: 0.1,
      e2e_s: 0.5,
      normalized_e2e_s: 0.125,
      ttft_deadline_s: 0.3,
      missed_deadlines: 3,
      total_deadlines: 6,
      miss_rate: 0.5,
      fluidity_index: 0.5,
      min_tbt_deadline_s: 0.1,
      decode_only_min_tbt_deadline_s: 0.2,
    });
    expectClose(expect, a.tpot_s, 400_000 / 3 / 1e6);
    expect(b).toMatchObject({
      outcome: 'ok',
      region: 'eu',
      output_tokens: 1,
      ttft_s: 0.4,
      tpot_s: null,
      e2e_s: 0.4,
      normalized_e2e_s: 0.4,
      missed_deadlines: 3,
      total_deadlines: 3,
      miss_rate: 1,
      fluidity_index: 0,
      min_tbt_deadline_s: null,
    });
    expect(c).toMatchObject({
      outcome: 'timeout',
      output_tokens: 0,
      ttft_s: null,
      tpot_s: null,
      e2e_s: null,
      normalized_e2e_s: null,
      missed_deadlines: 0,
      total_deadlines: 0,
      miss_rate: 0,
      fluidity_index: 1,
      min_tbt_deadline_s: null,
      decode_only_min_tbt_deadline_s: null,
    });
    expect(d).toMatchObject({
      region: null,
      ttft_s: 0.2,
      tpot_s: 0.03,
      e2e_s: 0.23,
      normalized_e2e_s: 0.115,
      missed_deadlines: 0,
      total_deadlines: 2,
      min_tbt_deadline_s: 0.000001,
      decode_only_min_tbt_deadline_s: 0.03,
    });
    expect(e).toMatchObject({ outcome: 'rate_limited', status: 429, ttft_s: null, total_deadlines: 0 });

    const s = out.summary;
    expect(s).toMatchObject({ requests: 5, ok: 3, failed: 2, error_rate: 0.4 });
    expect(s.outcomes).toMatchObject({ ok: 3, timeout: 1, rate_limited: 1, http_error: 0 });
    expect(s.deadlines).toEqual({
      ttft_deadline_s: 0.3,
      ttft_deadline_source: 'fixed',
      ttft_slack_s: null,
      tbt_deadline_s: 0.05,
      target_miss_rate: 0.1,
    });
    expect(s.ttft_s).toMatchObject({ count: 3, min: 0.1, max: 0.4, p50: 0.2 });
    // a, b, d: 6 of 11 deadlines missed.
    expect(out.service_level).toEqual({ missed_deadlines: 6, total_deadlines: 11, miss_rate: 6 / 11 });
    expect(s.service_level).toEqual(out.service_level);
    // TPOT-based: 1 / mean(a 400000/3, d 30000 µs). TBT-based: 1 / P99 of [0, 30000, 50000,
    // 350000] µs = 50000 + 0.97 × 300000. Fluid: 1 / P99 of the decode-only minima [30000, 200000].
    expectClose(expect, out.throughput.tpot_based_throughput, 1e6 / ((400_000 / 3 + 30_000) / 2));
    expectClose(expect, out.throughput.tbt_based_throughput, 1e6 / 341_000);
    expectClose(expect, out.throughput.fluid_token_generation_rate, 1e6 / (30_000 + 0.99 * 170_000));
    expect(s.throughput).toEqual(out.throughput);

    // Grouped by region (no region → `unspecified`), sorted by name.
    expect(Object.keys(s.regions)).toEqual(['eu', 'unspecified', 'us']);
    expect(s.regions.eu).toMatchObject({ requests: 2, ok: 1, failed: 1, error_rate: 0.5 });
    expect(s.regions.eu.service_level).toEqual({ missed_deadlines: 3, total_deadlines: 3, miss_rate: 1 });
    expect(s.regions.us).toMatchObject({ requests: 2, ok: 1, failed: 1 });
    expect(s.regions.us.service_level).toEqual({ missed_deadlines: 3, total_deadlines: 6, miss_rate: 0.5 });
    expect(s.regions.unspecified).toMatchObject({ requests: 1, ok: 1, failed: 0 });
    expect(s.regions.unspecified.service_level.total_deadlines).toBe(2);
    expect(s.regions.unspecified.throughput.tpot_based_throughput).toBeCloseTo(1 / 0.03, 9);
    expect(s.regions.eu.throughput).toEqual({
      tpot_based_throughput: null,
      tbt_based_throughput: null,
      fluid_token_generation_rate: null,
    });
  });

  it('--tbt-deadline changes the miss counts as worked by hand', async ({ expect }) => {
    const input = await file('tbt.json', JSON.stringify(RECORDS));
    const [wide, narrow] = await Promise.all([
      analyze(input, '--json', '--tbt-deadline', '0.1'),
      analyze(input, '--json', '--tbt-deadline', '0.04'),
    ]);
    expectOk(expect, wide);
    expectOk(expect, narrow);
    const counts = (out: Json) => out.requests.map((r: Json) => [r.missed_deadlines, r.total_deadlines]);
    // D = 100000: a's third token meets D + slack exactly (0 of 4); b misses 1 + floor(1) = 2.
    const w: Json = JSON.parse(wide.stdout);
    expect(counts(w)).toEqual([
      [0, 4],
      [2, 2],
      [0, 0],
      [0, 2],
      [0, 0],
    ]);
    expect(w.service_level).toEqual({ missed_deadlines: 2, total_deadlines: 8, miss_rate: 0.25 });
    expect(w.summary.deadlines.tbt_deadline_s).toBe(0.1);
    // D = 40000: a's slack is 190000 before the late token, floor(160000 / 40000) = 4 missed, then
    // one met (4 of 7); b misses 1 + floor(100000 / 40000) = 3.
    const n: Json = JSON.parse(narrow.stdout);
    expect(counts(n)).toEqual([
      [4, 7],
      [3, 3],
      [0, 0],
      [0, 2],
      [0, 0],
    ]);
    expect(n.service_level).toEqual({ missed_deadlines: 7, total_deadlines: 12, miss_rate: 7 / 12 });
  });

  it('reads JSONL with a BOM, blank lines and CRLF the same as a JSON array', async ({ expect }) => {
    const lines = RECORDS.map((r) => JSON.stringify(r));
    const text = `\uFEFF${lines[0]}\n\n${lines[1]}\r\n   \n${lines[2]}\n${lines[3]}\n\n\n${lines[4]}\n\n`;
    const [fromJsonl, fromArray] = await Promise.all([
      analyze(await file('same.jsonl', text), '--json'),
      analyze(await file('same.json', JSON.stringify(RECORDS, null, 2)), '--json'),
    ]);
    expectOk(expect, fromJsonl);
    expectOk(expect, fromArray);
    expect(JSON.parse(fromJsonl.stdout).requests).toHaveLength(5);
    expect(fromJsonl.stdout).toBe(fromArray.stdout);
  });

  it('reads a vector file ({"requests": [...]}) and counts vector 04 exactly', async ({ expect }) => {
    const run = await analyze(path.join(VECTORS, '04_late_first_token.json'), '--json');
    expectOk(expect, run);
    const out: Json = JSON.parse(run.stdout);
    expect(out.requests).toHaveLength(1);
    // etalon's float floor gives 18 of 33; the exact count is 19 of 34.
    expect(out.requests[0]).toMatchObject({ missed_deadlines: 19, total_deadlines: 34, ttft_s: 1.2 });
    expect(out.service_level).toEqual({ missed_deadlines: 19, total_deadlines: 34, miss_rate: 19 / 34 });
  });

  it('reads a single record object', async ({ expect }) => {
    const run = await analyze(await file('single.json', JSON.stringify(A, null, 2)), '--json');
    expectOk(expect, run);
    const out: Json = JSON.parse(run.stdout);
    expect(out.requests).toHaveLength(1);
    expect(out.requests[0]).toMatchObject({ id: 'a', missed_deadlines: 3, total_deadlines: 6 });
    expect(out.summary.requests).toBe(1);
  });

  it("reads etalon's column-oriented request_level_metrics.json", async ({ expect }) => {
    const etalon = {
      num_prompt_tokens: [10, 20],
      num_output_tokens: [4, 2],
      num_total_tokens: [14, 22],
      tpot: [0.03333333333333333, 0.05],
      ttft: [0.2, 0.1],
      // A 0.0 gap is the second token of a multi-token read.
      tbt: [[0.04, 0.0, 0.06], [0.05]],
      end_to_end_latency: [0.3, 0.15],
      deadline_miss_rate: [0.0, 0.0],
    };
    const run = await analyze(await file('request_level_metrics.json', JSON.stringify(etalon)), '--json');
    expectOk(expect, run);
    const out: Json = JSON.parse(run.stdout);
    expect(out.requests).toHaveLength(2);
    expect(out.requests[0]).toMatchObject({
      id: '0',
      prompt_tokens: 10,
      output_tokens: 4,
      ttft_s: 0.2,
      e2e_s: 0.3,
      missed_deadlines: 0,
      total_deadlines: 4,
    });
    expectClose(expect, out.requests[0].tpot_s, 0.1 / 3);
    expect(out.requests[1]).toMatchObject({ id: '1', ttft_s: 0.1, tpot_s: 0.05, e2e_s: 0.15 });
    // TBT values: 40000, 0, 60000 and 50000 µs; the zero comes from the multi-token read.
    expect(out.summary.tbt_s).toMatchObject({ count: 4, min: 0, max: 0.06 });
    expect(out.summary.inter_chunk_s.count).toBe(3);
  });
});

describe.concurrent('fluidbench analyze (table)', () => {
  it('prints the key lines, the failure breakdown and the region table', async ({ expect }) => {
    const run = await analyze(await file('table.jsonl', jsonl(RECORDS)));
    expectOk(expect, run);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toMatch(/^fluidbench analyze .*table\.jsonl$/);
    expect(lines).toContain('Requests: 5 (3 ok, 2 failed: 1 rate_limited, 1 timeout), error rate 40.00%');
    expect(lines).toContain('Deadlines: TTFT 0.3 s, TBT 50 ms, target miss rate 10.00%');
    expect(lines).toContain(
      'Service level: 6 of 11 deadlines missed, miss rate 54.55% (fluidity-index 45.45%)',
    );
    expect(lines).toContain(
      'Throughput (tok/s): fluid token generation rate 5.04, TPOT-based 12.24, TBT-based 2.93',
    );
    expect(run.stdout).toMatch(/TTFT \(s\)\s*│ 3\s*│/);
    // One row per region (more than one region), after the header row.
    for (const region of ['eu', 'unspecified', 'us']) {
      expect(lines.some((l) => new RegExp(`^│ ${region}\\s+│ \\d`).test(l))).toBe(true);
    }
    // No --curve: no miss-rate curve line.
    expect(run.stdout).not.toMatch(/P99 decode miss rate/);
  });

  it('--curve adds the P99 miss-rate curve line', async ({ expect }) => {
    const run = await analyze(await file('curve.json', JSON.stringify([A])), '--curve');
    expectOk(expect, run);
    // a's decode gaps are 50000, 350000, 0 µs. At 50 ms the late token misses floor(350000 /
    // 50000) = 7 and 2 tokens meet (7 of 9); at 100 ms the slack is 50000: floor(300000 / 100000)
    // = 3 missed, 2 met (3 of 5).
    expect(run.stdout).toMatch(
      /\nP99 decode miss rate by TBT deadline: 10 ms [\d.]+%, .*, 50 ms 77\.78%, 75 ms [\d.]+%, 100 ms 60\.00%\n/,
    );
    expect(run.stdout).not.toMatch(/│ region/); // a single region: no region table
  });
});

describe.concurrent('fluidbench analyze: bad input exits 2 with one line', () => {
  it('a missing file', async ({ expect }) => {
    const missing = path.join(dir, 'does-not-exist.jsonl');
    expectBadInput(expect, await analyze(missing), `cannot read ${missing}: no such file`);
  });

  it('a directory', async ({ expect }) => {
    const sub = path.join(dir, 'a-directory');
    await mkdir(sub);
    expectBadInput(expect, await analyze(sub), `cannot read ${sub}: it is a directory`);
  });

  it('an empty file (and one holding only blank lines and a BOM)', async ({ expect }) => {
    const [empty, blank] = await Promise.all([
      analyze(await file('empty.jsonl', '')),
      analyze(await file('blank.jsonl', '\uFEFF\n  \n\n')),
    ]);
    expectBadInput(expect, empty, /empty\.jsonl is empty/);
    expectBadInput(expect, blank, /blank\.jsonl is empty/);
  });

  it('an empty array', async ({ expect }) => {
    expectBadInput(
      expect,
      await analyze(await file('none.json', '[]')),
      /none\.json holds no request records/,
    );
  });

  it('invalid JSON in a JSON file names the line', async ({ expect }) => {
    const run = await analyze(await file('broken.json', `[${JSON.stringify(A)},\n{"id": "b",,}]`));
    expectBadInput(expect, run, /broken\.json: invalid JSON: .*line 2/);
  });

  it('invalid JSONL lines are all named by line number', async ({ expect }) => {
    const text = `${JSON.stringify(A)}\n{"id": "x"\n${JSON.stringify(B)}\nnot json\n${JSON.stringify(D)}\n`;
    const run = await analyze(await file('lines.jsonl', text));
    expectBadInput(expect, run, /lines\.jsonl: 2 invalid: /, /line 2: invalid JSON/, /line 4: invalid JSON/);
    expect(run.stderr).not.toMatch(/line [135]\b/);
  });

  it('a record failing the schema: record index, line and field path', async ({ expect }) => {
    const bad = {
      ...D,
      id: 'x',
      chunks: [
        [200, 1],
        ['soon', 1],
      ],
    };
    const run = await analyze(await file('schema.jsonl', `${jsonl([A, B])}\n${JSON.stringify(bad)}\n`));
    // Record 2 is on line 4: the blank line 3 counts as a line but not as a record.
    expectBadInput(
      expect,
      run,
      /schema\.jsonl: 1 invalid: record 2 \(line 4\) chunks\[1\]\[0\]: chunk time must be a finite number ≥ 0 ms, got soon/,
    );
  });

  it('several bad records at once, including negative and decreasing chunk times', async ({ expect }) => {
    const records = [
      {
        ...A,
        prompt_tokens: -1,
        chunks: [
          [-5, 1],
          [3, 1],
          [2, 1],
        ],
        token_count_source: 'guess',
      },
      B,
      { ...D, id: '', output_tokens: 1.5, outcome: 'exploded' },
    ];
    const run = await analyze(await file('several.json', JSON.stringify(records)));
    expectBadInput(
      expect,
      run,
      /several\.json: 7 invalid: /,
      /record 0 prompt_tokens: /,
      /record 0 chunks\[0\]\[0\]: chunk time must be a finite number ≥ 0 ms, got -5/,
      /record 0 chunks\[2\]\[0\]: chunk times must not decrease: 2 ms after 3 ms/,
      /record 0 token_count_source: /,
      /record 2 id: /,
      /record 2 output_tokens: /,
      /record 2 outcome: /,
    );
    expect(run.stderr).not.toMatch(/record 1\b/);
  });

  it('many bad records stay on one line, the rest counted', async ({ expect }) => {
    const records = Array.from({ length: 12 }, (_, i) => ({ ...A, id: `r${i}`, outcome: 'maybe' }));
    const run = await analyze(await file('many.jsonl', jsonl(records)));
    expectBadInput(expect, run, /many\.jsonl: 12 invalid: /, /record 7 \(line 8\) outcome/, /; and 4 more$/m);
    expect(run.stderr).not.toMatch(/record 8 /);
  });

  it('duplicate ids name both records', async ({ expect }) => {
    const run = await analyze(await file('dup.jsonl', jsonl([A, B, { ...D, id: 'a' }])));
    expectBadInput(expect, run, /record 2 \(line 3\) id: duplicate id "a" \(first at record 0\)/);
  });

  it('bad deadline options, all in one message', async ({ expect }) => {
    const input = await file('opts.json', JSON.stringify(RECORDS));
    const [three, negative] = await Promise.all([
      analyze(input, '--tbt-deadline', '0', '--ttft-deadline', 'abc', '--target-miss-rate', '1.5'),
      analyze(input, '--tbt-deadline=-0.05', '--ttft-deadline', ''),
    ]);
    expectBadInput(
      expect,
      three,
      /^fluidbench: invalid options: /,
      /--ttft-deadline: expected a number, got "abc"/,
      /--tbt-deadline: [^;]*>0/,
      /--target-miss-rate: [^;]*<=1/,
    );
    expectBadInput(expect, negative, /--tbt-deadline: [^;]*>0/, /--ttft-deadline: expected a number, got ""/);
  });

  it('--ttft-slack without --prefill-profile', async ({ expect }) => {
    const run = await analyze(await file('slack.json', JSON.stringify(RECORDS)), '--ttft-slack', '0.2');
    expectBadInput(expect, run, /--ttft-slack: only applies with --prefill-profile/);
  });

  it('an unknown option', async ({ expect }) => {
    const run = await analyze(await file('unknown.json', JSON.stringify(RECORDS)), '--tbt-dedline', '0.1');
    expectBadInput(expect, run, /unknown option '--tbt-dedline'/, /--tbt-deadline/);
  });

  it('a missing file argument', async ({ expect }) => {
    expectBadInput(expect, await analyze('--json'), /missing required argument 'file'/);
  });

  it('an invalid etalon request_level_metrics.json names the cell', async ({ expect }) => {
    const etalon = { ttft: [0.1, 0.2], tbt: [[0.01], [-0.5]], num_output_tokens: [2, 2] };
    const run = await analyze(await file('bad_etalon.json', JSON.stringify(etalon)));
    expectBadInput(
      expect,
      run,
      /invalid etalon request_level_metrics\.json: tbt\.1\.0: expected seconds ≥ 0/,
    );
  });
});

/** The files etalon writes per run (no plots). */
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
    const root = path.join(dir, 'etalon-ok');
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
    const root = path.join(dir, 'etalon-bad');
    await mkdir(root);
    const input = await file('etalon-bad.jsonl', jsonl([A, { ...B, chunks: [[-1, 1]] }]));
    const run = await analyze(input, '--etalon-dir', path.join(root, 'out'));
    expectBadInput(expect, run, /record 1 \(line 2\) chunks\[0\]\[0\]/);
    expect(await readdir(root)).toEqual([]);
  });

  it('an unwritable target (its parent is a file) exits 2 and leaves nothing behind', async ({ expect }) => {
    const root = path.join(dir, 'etalon-unwritable');
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

describe.concurrent('fluidbench analyze --prefill-profile', () => {
  const PROFILE = {
    samples: [
      { prompt_tokens: 256, ttft_s: 0.05 },
      { prompt_tokens: 4096, ttft_s: 0.6 },
    ],
  };

  it('makes each TTFT deadline the predicted prefill plus the slack', async ({ expect }) => {
    const profile = await file('profile.json', JSON.stringify(PROFILE));
    // One token each, so the only deadlines are the first token's; 8192 tokens is beyond the
    // profile (extrapolated), 100 below it.
    const records = [
      { ...B, id: 'short', prompt_tokens: 100, chunks: [[250, 1]] },
      { ...B, id: 'mid', prompt_tokens: 1000, chunks: [[250, 1]] },
      { ...B, id: 'long', prompt_tokens: 8192, chunks: [[1000, 1]] },
    ];
    const run = await analyze(
      await file('profiled.jsonl', jsonl(records)),
      '--json',
      '--prefill-profile',
      profile,
      '--ttft-slack',
      '0.2',
    );
    expectOk(expect, run);
    const out: Json = JSON.parse(run.stdout);
    expect(out.summary.deadlines).toEqual({
      ttft_deadline_s: null,
      ttft_deadline_source: 'prefill_predictor',
      ttft_slack_s: 0.2,
      tbt_deadline_s: 0.05,
      target_miss_rate: 0.1,
    });
    const { predictor } = loadPrefillProfile(PROFILE);
    let missed = 0;
    records.forEach((record, i) => {
      const deadlineUs = predictPrefillUs(predictor, record.prompt_tokens) + 200_000;
      const ttftUs = record.chunks[0]![0]! * 1000;
      const row: Json = out.requests[i];
      expect(row.id).toBe(record.id);
      expect(row.ttft_deadline_s).toBe(deadlineUs / 1e6);
      const late = ttftUs > deadlineUs ? 1 + Math.floor((ttftUs - deadlineUs) / 50_000) : 0;
      expect(row.missed_deadlines).toBe(late);
      missed += late;
    });
    // The predictor grows with the prompt: the short prompt's 0.25 s TTFT is late, the long
    // prompt's 1 s TTFT is on time (a fixed 0.3 s deadline would charge it 15 misses).
    expect(out.requests.map((r: Json) => r.missed_deadlines > 0)).toEqual([true, false, false]);
    expect(out.service_level.missed_deadlines).toBe(missed);
  });

  it('an invalid profile names the field', async ({ expect }) => {
    const profile = await file(
      'bad-profile.json',
      JSON.stringify({
        samples: [
          { prompt_tokens: 0, ttft_s: 0.05 },
          { prompt_tokens: 4096, ttft_s: 'slow' },
        ],
      }),
    );
    const run = await analyze(
      await file('for-bad-profile.json', JSON.stringify(RECORDS)),
      '--prefill-profile',
      profile,
    );
    expectBadInput(
      expect,
      run,
      /prefill profile .*bad-profile\.json: /,
      /samples\[0\]\.prompt_tokens/,
      /samples\[1\]\.ttft_s/,
    );
  });

  it('a profile that is not JSON, and --ttft-deadline with a profile', async ({ expect }) => {
    const input = await file('for-profile-errors.json', JSON.stringify(RECORDS));
    const [notJson, conflict] = await Promise.all([
      analyze(input, '--prefill-profile', await file('profile.txt', 'samples: 256 0.05')),
      analyze(
        input,
        '--prefill-profile',
        await file('ok-profile.json', JSON.stringify(PROFILE)),
        '--ttft-deadline',
        '0.5',
      ),
    ]);
    expectBadInput(expect, notJson, /prefill profile .*profile\.txt: invalid JSON/);
    expectBadInput(expect, conflict, /--ttft-deadline: conflicts with --prefill-profile/);
  });
});

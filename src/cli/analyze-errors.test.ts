import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'vitest';
import { A, analyze, B, D, expectBadInput, jsonl, RECORDS, scratchDir } from './analyze-test-kit.ts';

const { file, dir } = scratchDir();

describe.concurrent('fluidbench analyze: bad input exits 2 with one line', () => {
  it('a missing file', async ({ expect }) => {
    const missing = path.join(dir(), 'does-not-exist.jsonl');
    expectBadInput(expect, await analyze(missing), `cannot read ${missing}: no such file`);
  });

  it('a directory', async ({ expect }) => {
    const sub = path.join(dir(), 'a-directory');
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

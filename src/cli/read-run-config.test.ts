import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliError } from './cli-error.ts';
import { readRunConfig } from './read-run-config.ts';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'fluidbench-config-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(name: string, content: string): Promise<string> {
  const target = path.join(dir, name);
  await mkdir(path.dirname(target), { recursive: true });
  await writeFile(target, content);
  return target;
}

/** The CliError readRunConfig throws for `content`, or a failure when it does not throw one. */
async function rejection(name: string, content: string): Promise<CliError> {
  const error = await readRunConfig(await file(name, content)).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CliError);
  return error as CliError;
}

const TARGET = '"target": { "api": "openai-chat", "base_url": "http://127.0.0.1:8787/sim/v1", "model": "m" }';

describe('readRunConfig', () => {
  it('accepts comments and trailing commas and returns the body without defaults', async () => {
    const loaded = await readRunConfig(
      await file(
        'ok.jsonc',
        `// a run
{
  "$schema": "./schema.json", // an editor hint, dropped
  ${TARGET},
  /* block comment */
  "workload": {
    "arrivals": { "type": "poisson", "qps": 4, },
    "lengths": { "type": "fixed", "prompt_tokens": 8, "output_tokens": 4 },
    "requests": 10,
  },
  "regions": [{ "location": "wnam" }, { "location": "weur", "share": 3 },],
}`,
      ),
    );
    expect(loaded.body).not.toHaveProperty('$schema');
    expect(loaded.body).not.toHaveProperty('deadlines'); // defaults are the Worker's business
    expect(loaded.config.deadlines.tbt_s).toBe(0.05);
    expect(loaded.config.regions.map((r) => r.share)).toEqual([1, 3]);
    expect(loaded.plan.expectedRequests).toBe(10);
  });

  it('inlines a length trace file relative to the config file and drops `file`', async () => {
    await file('traces/lengths.csv', 'num_prefill_tokens,num_decode_tokens,pd_ratio\n100,20,5\n7,3,2.3\n');
    const configPath = await file(
      'traces/run.jsonc',
      `{ ${TARGET}, "workload": { "arrivals": { "type": "concurrency", "n": 2 }, "requests": 5,
         "lengths": { "type": "trace", "file": "lengths.csv", "order": "sequential" } } }`,
    );
    // Read from another working directory: the path must resolve against the config's directory.
    const loaded = await readRunConfig(path.relative(process.cwd(), configPath));
    const lengths = (loaded.body.workload as { lengths: Record<string, unknown> }).lengths;
    expect(lengths).toEqual({
      type: 'trace',
      order: 'sequential',
      rows: [
        [100, 20],
        [7, 3],
      ],
    });
    expect(loaded.config.workload.lengths).toMatchObject({
      rows: [
        [100, 20],
        [7, 3],
      ],
    });
  });

  it('reports every issue at once, each with its path and line', async () => {
    const error = await rejection(
      'bad.jsonc',
      `{
  "target": { "api": "grpc", "base_url": "ftp://x", "model": "m" },
  "workload": {
    "arrivals": { "type": "poisson", "qps": -1 },
    "lengths": { "type": "trace", "file": "missing.csv" }
  },
  "regions": [{ "location": "mars" }],
  "regoins": []
}`,
    );
    expect(error.exitCode).toBe(2);
    const [head, ...lines] = error.message.split('\n');
    expect(head).toMatch(/bad\.jsonc: invalid run config \(7 issues\):$/);
    const byPath = new Map(lines.map((l) => [l.trim().split(' ')[0], l]));
    expect([...byPath.keys()].sort()).toEqual(
      [
        'target.api',
        'target.base_url',
        'workload.arrivals.qps',
        'workload.lengths.file',
        'workload.requests',
        'regions[0].location',
        'regoins',
      ].sort(),
    );
    expect(byPath.get('target.api')).toMatch(/\(line 2:\d+\)/);
    expect(byPath.get('workload.arrivals.qps')).toMatch(/\(line 4:\d+\): .*/);
    expect(byPath.get('regions[0].location')).toMatch(/\(line 7:\d+\)/);
    expect(byPath.get('regoins')).toMatch(/\(line 8:\d+\): unknown key/);
    // The unreadable trace is one issue: no second complaint about the rows it would have given.
    expect(byPath.get('workload.lengths.file')).toMatch(/cannot read .*missing\.csv: no such file/);
    expect(error.message).not.toMatch(/rows/);
  });

  it('reports JSON syntax errors with line:column', async () => {
    const error = await rejection('syntax.json', '{\n  "name": "x"\n  "target": ,\n}');
    expect(error.exitCode).toBe(2);
    expect(error.message).toMatch(/syntax\.json is not valid JSON\(C\)/);
    expect(error.message).toMatch(/^ {2}line 3:3: comma expected$/m);
    expect(error.message).toMatch(/^ {2}line 3:13: value expected$/m);
  });

  it('reports a bad trace CSV, file and rows together, and limits the run would exceed', async () => {
    await file('bad.csv', 'num_prefill_tokens,num_decode_tokens\n10,0\nx,5\n');
    const badCsv = await rejection(
      'csv.json',
      `{ ${TARGET}, "workload": { "arrivals": { "type": "poisson", "qps": 1 }, "requests": 5,
         "lengths": { "type": "trace", "file": "bad.csv" } } }`,
    );
    expect(badCsv.message).toMatch(
      /workload\.lengths\.file .*bad\.csv: invalid length trace CSV \(2 problems\)/,
    );
    expect(badCsv.message).toMatch(/line 2: num_decode_tokens must be an integer ≥ 1/);

    const both = await rejection(
      'both.json',
      `{ ${TARGET}, "workload": { "arrivals": { "type": "poisson", "qps": 1 }, "requests": 5,
         "lengths": { "type": "trace", "file": "bad.csv", "rows": [[1, 1]] } } }`,
    );
    expect(both.message).toMatch(/workload\.lengths\.file .*: give either file or rows, not both/);

    const limits = await rejection(
      'limits.json',
      `{ ${TARGET}, "workload": { "arrivals": { "type": "concurrency", "n": 50 }, "requests": 500,
         "lengths": { "type": "fixed", "prompt_tokens": 1, "output_tokens": 1 } },
         "limits": { "max_concurrency": 10, "max_requests": 100 } }`,
    );
    expect(limits.message).toMatch(/\(2 issues\)/);
    expect(limits.message).toMatch(/workload\.arrivals\.n .*exceeds limits\.max_concurrency 10/);
    expect(limits.message).toMatch(/workload\.requests .*500 requests exceed limits\.max_requests 100/);
  });

  it('rejects a file that is not an object, and a missing file', async () => {
    expect((await rejection('array.json', '[1, 2]')).message).toMatch(/must be a JSON object/);
    const missing = await readRunConfig(path.join(dir, 'nope.jsonc')).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(CliError);
    expect((missing as CliError).message).toMatch(/cannot read .*nope\.jsonc: no such file/);
  });
});

import { InvalidArgumentError } from '@commander-js/extra-typings';
import { describe, expect, it } from 'vitest';
import { httpUrl, wholeNumber } from './cli-options.ts';
import { spawnCli } from './testing/spawn-cli.ts';

describe('option parsers', () => {
  it('take whole numbers in range and refuse the rest with InvalidArgumentError', () => {
    const parse = wholeNumber(1, 200);
    expect(parse('1')).toBe(1);
    expect(parse('200')).toBe(200);
    for (const bad of ['0', '201', '1.5', 'abc', '', ' ', '1e9'])
      expect(() => parse(bad), bad).toThrow(InvalidArgumentError);
  });

  it('take http(s) URLs only', () => {
    expect(httpUrl('https://x.example/api')).toBe('https://x.example/api');
    for (const bad of ['nope', 'ftp://x.example', 'file:///etc/passwd'])
      expect(() => httpUrl(bad), bad).toThrow(InvalidArgumentError);
  });
});

// The real CLI: a bad option value is one `fluidbench: …` line and exit 2, before any API call
// (FLUIDBENCH_TOKEN is unset and the URL unreachable, so reaching the API would fail differently).
describe('options of the API commands', () => {
  const env = { FLUIDBENCH_TOKEN: '', FLUIDBENCH_URL: 'http://127.0.0.1:1' };
  const cases: [string[], RegExp][] = [
    [
      ['runs', '--limit', '0'],
      /--limit <n>' argument '0' is invalid\. expected a whole number from 1 to 200/,
    ],
    [
      ['export', 'r', '--format', 'xml'],
      /--format <format>' argument 'xml' is invalid\. Allowed choices are jsonl, etalon/,
    ],
    [['export', 'r', '--page-size', '500001'], /expected a whole number from 1 to 500000/],
    [['results', 'r', '--json', '--csv'], /option '--json' cannot be used with option '--csv'/],
    [['status', 'r', '--url', 'ftp://x'], /--url <url>' argument 'ftp:\/\/x' is invalid\. expected an http/],
  ];
  it.concurrent.each(cases)('fluidbench %j refuses the value', async (args, message) => {
    const run = await spawnCli(args, { env, timeoutMs: 30_000 });
    expect(run.code, run.stderr).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^fluidbench: [^\n]+\n$/);
    expect(run.stderr).toMatch(message);
  });

  it('reads --url from FLUIDBENCH_URL and names the variable when it is wrong', async () => {
    const run = await spawnCli(['runs'], { env: { ...env, FLUIDBENCH_URL: 'nope' }, timeoutMs: 30_000 });
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toMatch(
      /^fluidbench: option '--url <url>' value 'nope' from env 'FLUIDBENCH_URL' is invalid/,
    );
  });

  it('shows the shared options and their defaults in every API command’s help', async () => {
    const helps = await Promise.all(
      ['run', 'status', 'results', 'export', 'cancel', 'runs'].map((c) => spawnCli([c, '--help'])),
    );
    for (const help of helps) {
      expect(help.code).toBe(0);
      // Collapse commander's line wrapping before matching.
      const text = help.stdout.replace(/\s+/g, ' ');
      expect(text).toContain(
        '--url <url> control API base URL (default: "http://127.0.0.1:8787", env: FLUIDBENCH_URL)',
      );
      if (!text.includes('fluidbench export')) expect(text).toContain('--json');
    }
  });
});

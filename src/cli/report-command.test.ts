import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunReportData } from '../core/report/report-data.ts';
import { valueAtPath } from '../core/report/report-kpis.ts';
import { seededRandom, syntheticRecords } from '../core/report/synthetic-records.ts';
import { reportHtml } from './report-html.ts';
import { spawnCli } from './testing/spawn-cli.ts';

let dir: string;
let file: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'fluidbench-report-'));
  file = path.join(dir, 'run.jsonl');
  const records = syntheticRecords({ requests: 120, qps: 40, outputTokens: 20, random: seededRandom(3) });
  await writeFile(file, `${records.map((r) => JSON.stringify(r)).join('\n')}\n`);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('fluidbench report', () => {
  it('FILE --json: the page data, its KPIs exactly those of analyze --json', async () => {
    const [report, analyze] = await Promise.all([
      spawnCli(['report', file, '--json'], { cwd: dir }),
      spawnCli(['analyze', file, '--json'], { cwd: dir }),
    ]);
    expect(report.code, report.stderr).toBe(0);
    const data = JSON.parse(report.stdout) as RunReportData;
    const analysis = JSON.parse(analyze.stdout) as unknown;
    expect(data.kind).toBe('run');
    expect(data.requests).toBe(120);
    for (const kpi of data.kpis.filter((k) => k.source !== null))
      expect(kpi.value, kpi.key).toBe(valueAtPath(analysis, kpi.source!));
  });

  it('FILE --ttft-deadline/--tbt-deadline: the report is judged against those deadlines, like analyze', async () => {
    const flags = ['--ttft-deadline', '0.2', '--tbt-deadline', '0.015'];
    const [report, analyze, defaults] = await Promise.all([
      spawnCli(['report', file, '--json', ...flags], { cwd: dir }),
      spawnCli(['analyze', file, '--json', ...flags], { cwd: dir }),
      spawnCli(['report', file, '--json'], { cwd: dir }),
    ]);
    expect(report.code, report.stderr).toBe(0);
    const data = JSON.parse(report.stdout) as RunReportData;
    const analysis = JSON.parse(analyze.stdout) as unknown;
    expect(data.deadlines.ttft_deadline_s).toBe(0.2);
    expect(data.deadlines.tbt_deadline_s).toBe(0.015);
    for (const kpi of data.kpis.filter((k) => k.source !== null))
      expect(kpi.value, kpi.key).toBe(valueAtPath(analysis, kpi.source!));
    const missRate = (d: RunReportData) => d.kpis.find((k) => k.key === 'miss_rate')!.value;
    expect(missRate(data)).not.toBe(missRate(JSON.parse(defaults.stdout) as RunReportData));
  });

  it('rejects a bad deadline, naming the flag, and deadlines with a run id', async () => {
    const bad = await spawnCli(['report', file, '--json', '--tbt-deadline', 'soon'], { cwd: dir });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('--tbt-deadline');
    const run = await spawnCli(['report', 'no-such-run', '--ttft-deadline', '1'], {
      cwd: dir,
      env: { FLUIDBENCH_URL: 'http://127.0.0.1:9', FLUIDBENCH_TOKEN: 't' },
    });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/run report uses the run.s own deadlines/);
  });

  it('FILE --out: one HTML file whose CSP allows exactly its inline script and styles', async () => {
    const out = path.join(dir, 'r.html');
    const run = await spawnCli(['report', file, '--out', out], { cwd: dir });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain(`wrote ${out}`);
    const html = await readFile(out, 'utf8');
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)![1]!;
    expect(csp).toContain("default-src 'none'");
    const script = /<script>([\s\S]*)<\/script>\n<\/body>/.exec(html)![1]!;
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)![1]!;
    const hash = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;
    expect(csp).toContain(`script-src ${hash(script)}`);
    expect(csp).toContain(`style-src ${hash(style)}`);
    // Nothing is loaded from anywhere: no external script, style or image.
    expect(html).not.toMatch(/(src|href)=["']?https?:/);
  });

  it('escapes the data so no value can close its script element', () => {
    const html = reportHtml(
      {
        kind: 'compare',
        title: '</script><b>',
        generated_at_ms: 0,
        runs: [],
        rows: [],
        scatter: { rows: [], ttft_split_s: null, output_tps_split: null },
        matrix: { regions: [], cells: [] },
        notes: ['</script>'],
      },
      { js: 'void 0', css: '' },
    );
    expect(html.match(/<\/script>/g)).toHaveLength(2); // the data block's and the script's own ends
    expect(html).toContain('<title>&#60;/script&#62;&#60;b&#62; · fluidbench</title>');
  });

  it('usage errors exit 2: no target, or a target and --history', async () => {
    const none = await spawnCli(['report'], { cwd: dir });
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/^fluidbench: invalid options: give one of ID\|FILE/);
    const both = await spawnCli(['report', file, '--history', 's1'], { cwd: dir });
    expect(both.code).toBe(2);
  });
});

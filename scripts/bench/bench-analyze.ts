// npm run bench:analyze [-- --requests N --tokens T --keep]
// Synthesises N request records × T tokens as JSONL, then times, each in a fresh Node process:
//   parse:   reading the file and a bare JSON.parse of every line (the floor for any analysis);
//   analyze: `fluidbench analyze FILE` end to end (read, validate, metrics, summary, table), with
//   its default reader threads (files ≥ 16 MB: up to 4, one per core) and with --threads 1;
//   analyze --json / --curve variants.
// Prints wall time and peak RSS of each, and analyze / parse. Goal: analyze ≤ 2× the bare parse.
import { execFileSync } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '100000' },
    tokens: { type: 'string', default: '200' },
    phase: { type: 'string' },
    file: { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});

if (values.phase) {
  await runPhase(values.phase, values.file!);
} else {
  await orchestrate(Number(values.requests), Number(values.tokens), values.keep);
}

async function orchestrate(requests: number, tokens: number, keep: boolean): Promise<void> {
  const dir = join(tmpdir(), 'fluidbench-bench');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `records-${requests}x${tokens}.jsonl`);
  const started = performance.now();
  await synthesise(file, requests, tokens);
  const sizeMb = statSync(file).size / 1e6;
  console.log(
    `synthesised ${requests} requests × ${tokens} tokens: ${sizeMb.toFixed(1)} MB in ${((performance.now() - started) / 1000).toFixed(1)} s (${file})`,
  );
  const phases = ['parse', 'analyze', 'analyze-1-thread', 'analyze-json', 'analyze-curve'];
  const results: Record<string, { seconds: number; maxRssMb: number }> = {};
  for (const phase of phases) {
    const out = execFileSync(
      process.execPath,
      [new URL(import.meta.url).pathname, '--phase', phase, '--file', file],
      {
        encoding: 'utf8',
        maxBuffer: 1 << 30,
      },
    );
    results[phase] = JSON.parse(out.trim().split('\n').at(-1)!);
    const r = results[phase]!;
    console.log(
      `${phase.padEnd(18)} ${r.seconds.toFixed(2).padStart(7)} s   peak RSS ${r.maxRssMb.toFixed(0).padStart(5)} MB`,
    );
  }
  const ratio = results.analyze!.seconds / results.parse!.seconds;
  const single = results['analyze-1-thread']!.seconds / results.parse!.seconds;
  console.log(
    `analyze / bare parse = ${ratio.toFixed(2)}× (goal ≤ 2×); with one thread ${single.toFixed(2)}×`,
  );
  console.log(`reader threads by default: ${Math.min(availableParallelism(), 4)}`);
  console.log(`node ${process.version}, ${(await import('node:os')).cpus()[0]?.model ?? 'unknown cpu'}`);
  if (!keep) rmSync(file);
}

async function runPhase(phase: string, file: string): Promise<void> {
  const started = performance.now();
  if (phase === 'parse') {
    const text = readFileSync(file, 'utf8');
    let count = 0;
    let start = 0;
    for (;;) {
      const end = text.indexOf('\n', start);
      const line = text.slice(start, end === -1 ? undefined : end);
      if (line.length > 0) {
        JSON.parse(line);
        count += 1;
      }
      if (end === -1) break;
      start = end + 1;
    }
    if (count === 0) throw new Error('nothing parsed');
  } else {
    const { analyzeCommand } = await import('../../src/cli/analyze-command.ts');
    const flags = {
      json: phase === 'analyze-json',
      curve: phase === 'analyze-curve',
      threads: phase === 'analyze-1-thread' ? 1 : undefined,
      progress: false,
    };
    const { stdout } = await analyzeCommand(file, flags);
    if (stdout.length === 0) throw new Error('no output');
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(JSON.stringify({ seconds, maxRssMb: process.resourceUsage().maxRSS / 1024 }));
}

/** Seeded synthetic streams: ~20 ms gaps with jitter, occasional stalls and multi-token reads, 1% failures. */
async function synthesise(file: string, requests: number, tokens: number): Promise<void> {
  let seed = 42;
  const random = () => {
    seed = (seed * 1664525 + 1013904223) >>> 0;
    return seed / 2 ** 32;
  };
  const out = createWriteStream(file);
  const regions = ['wnam', 'weur', 'apac'];
  for (let r = 0; r < requests; r++) {
    const chunks: [number, number][] = [];
    let t = 80 + random() * 400;
    let left = tokens;
    while (left > 0) {
      const k = random() < 0.05 ? Math.min(left, 2 + Math.floor(random() * 4)) : 1;
      chunks.push([Math.round(t * 10) / 10, k]);
      left -= k;
      t += 15 + random() * 10 + (random() < 0.01 ? 200 + random() * 800 : 0);
    }
    const failed = random() < 0.01;
    const record = {
      id: `req-${r}`,
      region: regions[r % regions.length],
      scheduled_at_ms: 1_795_000_000_000 + r * 10,
      sent_at_ms: 1_795_000_000_000 + r * 10 + Math.round(random() * 3),
      headers_ms: 5,
      prompt_tokens: 512 + Math.floor(random() * 1024),
      output_tokens: failed ? 0 : tokens,
      chunks: failed ? [] : chunks,
      token_count_source: 'usage_stream',
      outcome: failed ? 'http_error' : 'ok',
      ...(failed ? { status: 503, error: 'service unavailable' } : {}),
    };
    if (!out.write(`${JSON.stringify(record)}\n`))
      await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  }
  await new Promise<void>((resolve, reject) =>
    out.end((error?: Error | null) => (error ? reject(error) : resolve())),
  );
}

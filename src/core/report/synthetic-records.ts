import type { Outcome, RequestRecord } from '../record/request-record.ts';

/**
 * Request records of a made-up run (for tests, the report benchmark and screenshots): `requests`
 * sends at `qps` over two regions, each streaming `outputTokens` tokens with a stall now and then
 * and a few failures. `random` returns numbers in [0, 1) (pass a seeded generator).
 */
export function syntheticRecords(options: {
  requests: number;
  qps: number;
  outputTokens: number;
  random: () => number;
  startMs?: number;
}): RequestRecord[] {
  const { requests, qps, outputTokens, random } = options;
  const start = options.startMs ?? 1_800_000_000_000;
  const regions = ['wnam', 'weur'];
  const records: RequestRecord[] = [];
  for (let i = 0; i < requests; i++) {
    const scheduled = start + (i * 1000) / qps;
    const sent = scheduled + random() * 3;
    const region = regions[i % regions.length]!;
    const slow = region === 'weur' ? 1.4 : 1;
    const roll = random();
    const outcome: Outcome = roll < 0.01 ? 'http_error' : roll < 0.015 ? 'timeout' : 'ok';
    const headers = 20 + random() * 30 * slow;
    const chunks: [number, number][] = [];
    if (outcome !== 'http_error') {
      let at = headers + 80 * slow + random() * 250 * slow;
      const tokens = outcome === 'timeout' ? Math.floor(outputTokens / 3) : outputTokens;
      for (let t = 0; t < tokens; ) {
        const n = random() < 0.2 ? 2 : 1;
        chunks.push([Math.round(at * 10) / 10, Math.min(n, tokens - t)]);
        t += n;
        at += (random() < 0.03 ? 120 + random() * 200 : 8 + random() * 30) * slow;
      }
    }
    const output = chunks.reduce((sum, [, n]) => sum + n, 0);
    records.push({
      id: `r${String(i).padStart(7, '0')}`,
      region,
      scheduled_at_ms: scheduled,
      sent_at_ms: sent,
      headers_ms: Math.round(headers * 10) / 10,
      prompt_tokens: 200,
      output_tokens: output,
      chunks,
      token_count_source: 'usage_stream',
      outcome,
      ...(outcome === 'http_error' ? { status: 503 } : {}),
    });
  }
  return records;
}

/** A small seeded generator (mulberry32) for reproducible synthetic runs. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

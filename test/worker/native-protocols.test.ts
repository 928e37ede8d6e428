import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import type { SummaryReport } from '../../src/core/metrics/run-summary.ts';
import { createRun, exportRecords, results, simRunConfig, waitForEnd } from './run-kit.ts';

// Real runs in workerd (shards, D1) against the loopback simulator speaking each hosted provider's
// protocol: the records carry the right token counts, reasoning split and outcomes.

type Api = 'anthropic-messages' | 'openai-responses' | 'gemini';
const APIS: Api[] = ['anthropic-messages', 'openai-responses', 'gemini'];

/** What makes each protocol stream its reasoning instead of hiding it. */
const SHOW_REASONING: Record<Api, Record<string, unknown>> = {
  'anthropic-messages': { thinking: { type: 'enabled', budget_tokens: 1024 } },
  'openai-responses': { reasoning: { effort: 'low', summary: 'auto' } },
  gemini: { generationConfig: { thinkingConfig: { includeThoughts: true } } },
};

function config(api: Api, sim: Record<string, unknown>, requests = 6) {
  return simRunConfig({
    target: {
      api,
      base_url: `${env.TEST_TARGET_URL}/${api === 'gemini' ? 'v1beta' : 'v1'}`,
      model: 'fluidbench-sim',
      extra_body: {
        ...SHOW_REASONING[api],
        sim: { prefill_base_ms: 5, prefill_us_per_token: 10, decode_ms_per_token: 4, jitter: 0, ...sim },
      },
    },
    workload: {
      arrivals: { type: 'constant', qps: 40 },
      lengths: { type: 'fixed', prompt_tokens: 16, output_tokens: 6 },
      requests,
      seed: 3,
    },
  });
}

describe.each(APIS)('a run against the simulator speaking %s', (api) => {
  it('records token counts, the reasoning split and ok outcomes; results report them', async () => {
    // 25 ms a token: the answer starts 50 ms after the reasoning, so a busy machine never delivers
    // both in one read (at 4 ms a token it sometimes did, and the two marks were equal).
    const id = await createRun(config(api, { reasoning_tokens: 2, decode_ms_per_token: 25 }));
    const end = await waitForEnd(id);
    expect(end.state, JSON.stringify(end)).toBe('done');
    const records = await exportRecords(id);
    expect(records).toHaveLength(6);
    for (const r of records) {
      expect(r.outcome, r.error).toBe('ok');
      expect(r.output_tokens).toBe(6);
      expect(r.prompt_tokens).toBe(16);
      expect(r.chunks.reduce((n, c) => n + c[1], 0)).toBe(6);
      // Thinking streams first: the first token is reasoning, the answer follows 2 tokens later.
      expect(r.first_reasoning_ms).toBe(r.chunks[0]![0]);
      expect(r.first_visible_ms).toBeGreaterThan(r.first_reasoning_ms!);
      expect(r.reasoning_tokens).toBe(api === 'anthropic-messages' ? undefined : 2);
    }
    const stored = await results<{ summary: SummaryReport }>(id);
    const reasoning = stored.summary.reasoning!;
    expect(reasoning.ttfrt_s.count).toBe(6);
    expect(reasoning.ttfvt_s.count).toBe(6);
    expect(reasoning.ttfvt_s.p50!).toBeGreaterThan(reasoning.ttfrt_s.p50!);
    expect(reasoning.reasoning_tokens.count).toBe(api === 'anthropic-messages' ? 0 : 6);
    expect(stored.summary.output_tokens.mean).toBe(6);
  });

  it("maps the provider's in-stream error to its typed outcome", async () => {
    const id = await createRun(config(api, { errors: { in_stream_rate: 1 } }, 3));
    await waitForEnd(id);
    const records = await exportRecords(id);
    expect(records).toHaveLength(3);
    for (const r of records)
      expect(r.outcome).toBe(api === 'anthropic-messages' ? 'rate_limited' : 'stream_error');
  });
});

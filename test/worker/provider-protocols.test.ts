import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { call, createRun, exportRecords, simRunConfig, waitForEnd } from './run-kit.ts';

// Whole runs in workerd (coordinator, shards, D1) against the loopback simulator speaking Workers
// AI's native stream (`…/ai/run/{model}`) and Bedrock's binary event stream
// (`…/model/{id}/converse-stream`, SigV4-signed from named secrets).

const fastSim = { prefill_base_ms: 5, prefill_us_per_token: 10, decode_ms_per_token: 4, jitter: 0 };

function protocolRun(target: Record<string, unknown>, sim: Record<string, unknown> = {}) {
  const base = simRunConfig();
  return { ...base, target: { ...target, extra_body: { sim: { ...fastSim, ...sim } } } };
}

const workersAi = {
  api: 'workers-ai',
  base_url: `${env.TEST_TARGET_URL}/client/v4/accounts/0123abcd/ai`,
  model: '@cf/meta/llama-3.1-8b-instruct',
};

const bedrock = {
  api: 'bedrock-converse',
  base_url: env.TEST_TARGET_URL,
  model: 'anthropic.claude-3-7-sonnet-20250219-v1:0',
  aws: {
    region: 'us-east-1',
    access_key_id_secret: 'TEST_AWS_KEY_ID',
    secret_access_key_secret: 'TEST_AWS_SECRET',
  },
};

describe('runs against the simulator in the Workers AI and Bedrock protocols', () => {
  it('workers-ai: every request ok, usage counts from the final usage event', async () => {
    const id = await createRun(protocolRun(workersAi, { reasoning_tokens: 2 }));
    const end = await waitForEnd(id);
    expect(end.state, JSON.stringify(end)).toBe('done');
    const records = await exportRecords(id);
    expect(records).toHaveLength(8);
    for (const r of records) {
      expect(r.outcome, r.error).toBe('ok');
      expect(r.output_tokens).toBe(6);
      expect(r.prompt_tokens).toBe(16);
      expect(r.token_count_source).toBe('usage_final');
      expect(r.chunks.length).toBe(6);
    }
  });

  it('bedrock-converse (SigV4): every request ok, usage from the metadata event', async () => {
    const id = await createRun(protocolRun(bedrock, { reasoning_tokens: 3, tokens_per_chunk: 2 }));
    const end = await waitForEnd(id);
    expect(end.state, JSON.stringify(end)).toBe('done');
    const records = await exportRecords(id);
    expect(records).toHaveLength(8);
    for (const r of records) {
      expect(r.outcome, r.error).toBe('ok');
      expect(r.output_tokens).toBe(6);
      expect(r.prompt_tokens).toBe(16);
      expect(r.token_count_source).toBe('usage_final');
    }
  });

  it('bedrock-converse: a throttlingException frame mid-stream is rate_limited, another exception stream_error', async () => {
    const throttled = await createRun(
      protocolRun(bedrock, { errors: { in_stream_rate: 1, in_stream_type: 'throttling' } }),
    );
    const failed = await createRun(protocolRun(bedrock, { errors: { in_stream_rate: 1 } }));
    // Every request failed, so the runs fail as a whole; the records still say how.
    expect((await waitForEnd(throttled)).state).toBe('failed');
    expect((await waitForEnd(failed)).state).toBe('failed');
    const throttledRecords = await exportRecords(throttled);
    const failedRecords = await exportRecords(failed);
    expect([throttledRecords.length, failedRecords.length]).toEqual([8, 8]);
    for (const r of throttledRecords) {
      expect(r.outcome).toBe('rate_limited');
      expect(r.error).toMatch(/throttlingException/);
    }
    for (const r of failedRecords) {
      expect(r.outcome).toBe('stream_error');
      expect(r.error).toMatch(/modelStreamErrorException/);
    }
  });

  it('refuses unknown AWS secrets (unknown_secret) and a missing AI binding (invalid_config), naming the field', async () => {
    const noKey = await call('/v1/runs', {
      method: 'POST',
      body: JSON.stringify(
        protocolRun({ ...bedrock, aws: { ...bedrock.aws, session_token_secret: 'NO_SUCH_TOKEN' } }),
      ),
    });
    expect(noKey.status).toBe(400);
    const noKeyBody = (await noKey.json()) as { error: { code: string; issues: { path: string[] }[] } };
    expect(noKeyBody.error.code).toBe('unknown_secret');
    expect(noKeyBody.error.issues[0]?.path).toEqual(['target', 'aws', 'session_token_secret']);

    const noBinding = await call('/v1/runs', {
      method: 'POST',
      body: JSON.stringify(protocolRun({ ...workersAi, ai_binding: 'AI' })),
    });
    expect(noBinding.status).toBe(400);
    const noBindingBody = (await noBinding.json()) as {
      error: { code: string; issues: { path: string[] }[] };
    };
    expect(noBindingBody.error.code).toBe('invalid_config');
    expect(noBindingBody.error.issues[0]?.path).toEqual(['target', 'ai_binding']);
  });
});

describe('Workers AI through a stand-in AI binding (the real one cannot run offline)', () => {
  const throughBinding = (model: string) => ({
    ...simRunConfig(),
    target: {
      api: 'workers-ai',
      // Unused through the binding; kept so the same config measures REST without `ai_binding`.
      base_url: 'https://api.cloudflare.com/client/v4/accounts/0123abcd/ai',
      model,
      ai_binding: 'TEST_AI',
    },
  });

  it('a whole run streams from the binding: every request ok, usage from the final event', async () => {
    const id = await createRun(throughBinding('@cf/meta/llama-3.1-8b-instruct'));
    const end = await waitForEnd(id);
    expect(end.state, JSON.stringify(end)).toBe('done');
    const records = await exportRecords(id);
    expect(records).toHaveLength(8);
    for (const r of records) {
      expect(r.outcome, r.error).toBe('ok');
      expect(r.output_tokens).toBe(6);
      expect(r.prompt_tokens).toBe(16);
      expect(r.token_count_source).toBe('usage_final');
      expect(r.chunks.length).toBeGreaterThan(1);
    }
  });

  it('an error the binding throws is a failed request with its message', async () => {
    const id = await createRun(throughBinding('@cf/stand-in/failing'));
    expect((await waitForEnd(id)).state).toBe('failed');
    const records = await exportRecords(id);
    expect(records).toHaveLength(8);
    for (const r of records) {
      expect(r.outcome).toBe('http_error');
      expect(r.error).toMatch(/3040: Capacity temporarily exceeded/);
    }
  });
});

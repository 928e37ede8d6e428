import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { adapterFor } from '../../src/core/stream/adapters.ts';
import { streamRequest } from '../../src/core/stream/stream-request.ts';
import { parseTarget } from '../../src/core/stream/target-config.ts';

// What workerd's fetch tells about a failed connection, measured: a refused connection and one
// reset once accepted give the same error (a plain Error, "Network connection lost.", flagged
// remote and retryable), so the record says what is known and no more.
async function failedSend(port: string) {
  const target = parseTarget({ api: 'openai-chat', base_url: `http://127.0.0.1:${port}/v1`, model: 'm' });
  const { record, networkFailure } = await streamRequest({
    fetch: (input, init) => fetch(input, init),
    nowMs: Date.now,
    adapter: adapterFor(target.api),
    target,
    id: 'probe',
    prompt: 'hello',
    promptTokens: 1,
    maxTokens: 4,
    timeoutMs: 5_000,
  });
  return { record, networkFailure };
}

describe('network errors inside workerd', () => {
  it.each([
    ['refused (nothing listens)', env.TEST_CLOSED_PORT],
    ['reset once accepted', env.TEST_RESET_PORT],
  ])('a connection %s is network_error, said to be refused, reset or closed', async (_case, port) => {
    const { record, networkFailure } = await failedSend(port);
    expect(record.outcome).toBe('network_error');
    expect(networkFailure).toBe('connection_lost');
    expect(record.error).toBe(
      'connection refused, reset or closed before the response headers (the Workers runtime does not say which) (Network connection lost.)',
    );
  });
});

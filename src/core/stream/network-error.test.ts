import { describe, expect, it } from 'vitest';
import { classifyNetworkError } from './network-error.ts';

/** An error shaped as undici's: `TypeError('fetch failed')` with the system error as its cause. */
function undici(code: string, message = `connect ${code} 127.0.0.1:1`): TypeError {
  return new TypeError('fetch failed', { cause: Object.assign(new Error(message), { code }) });
}

/** An error shaped as workerd's for a lost connection: a plain Error flagged remote and retryable. */
function workerdLost(): Error {
  return Object.assign(new Error('Network connection lost.'), { remote: true, retryable: true });
}

describe('classifyNetworkError', () => {
  it.each([
    ['ECONNREFUSED', 'connection_refused'],
    ['ECONNRESET', 'connection_reset'],
    ['UND_ERR_SOCKET', 'connection_reset'],
    ['ENOTFOUND', 'dns'],
    ['EAI_AGAIN', 'dns'],
    ['UND_ERR_CONNECT_TIMEOUT', 'connect_timeout'],
    ['EHOSTUNREACH', 'unreachable'],
    ['DEPTH_ZERO_SELF_SIGNED_CERT', 'tls'],
    ['ERR_TLS_CERT_ALTNAME_INVALID', 'tls'],
    ['ERR_SSL_WRONG_VERSION_NUMBER', 'tls'],
    ['EWHATEVER', 'other'],
  ] as const)('Node %s is %s, by code', (code, kind) => {
    const failure = classifyNetworkError(undici(code));
    expect(failure.kind).toBe(kind);
    expect(failure.text).toContain(`(${code}: fetch failed: connect ${code} 127.0.0.1:1)`);
  });

  it('finds the code inside an AggregateError (several addresses tried)', () => {
    const both = new AggregateError([Object.assign(new Error('a'), { code: 'ECONNREFUSED' })], 'all failed');
    expect(classifyNetworkError(new TypeError('fetch failed', { cause: both })).kind).toBe(
      'connection_refused',
    );
  });

  it('says honestly what workerd lets us know: refused, reset or closed, not which', () => {
    const failure = classifyNetworkError(workerdLost());
    expect(failure.kind).toBe('connection_lost');
    expect(failure.text).toBe(
      'connection refused, reset or closed before the response headers (the Workers runtime does not say which) (Network connection lost.)',
    );
  });

  it('does not read the message: the same words without the flags are just a failure', () => {
    expect(classifyNetworkError(new Error('Network connection lost.')).kind).toBe('other');
    expect(classifyNetworkError(new Error('connect ECONNREFUSED')).kind).toBe('other');
    expect(classifyNetworkError('a string').text).toBe('request failed (a string)');
  });
});

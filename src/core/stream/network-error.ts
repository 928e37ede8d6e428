// What went wrong when `fetch` rejected before any response headers, told from the error's type
// and properties (never its message text). What each runtime lets us tell apart, measured against
// 127.0.0.1:
// - Node (undici): `TypeError('fetch failed')` with the system error in `cause.code` (ECONNREFUSED,
//   ECONNRESET, ENOTFOUND, …; an AggregateError of them when several addresses were tried).
// - workerd: a plain `Error` with `remote: true`; a refused connection, a connection reset on
//   accept and one closed before the headers all read "Network connection lost." with
//   `retryable: true` and nothing else, so they cannot be told apart there. A TLS handshake
//   failure reads "internal error; reference = …" without `retryable`: not distinguishable either.

export const NETWORK_FAILURE_KINDS = [
  'connection_refused',
  'connection_reset',
  'dns',
  'tls',
  'connect_timeout',
  'unreachable',
  /** workerd: refused, reset or closed before the response headers; it does not say which. */
  'connection_lost',
  'other',
] as const;
export type NetworkFailureKind = (typeof NETWORK_FAILURE_KINDS)[number];

const KIND_BY_CODE: Record<string, NetworkFailureKind> = {
  ECONNREFUSED: 'connection_refused',
  ECONNRESET: 'connection_reset',
  EPIPE: 'connection_reset',
  UND_ERR_SOCKET: 'connection_reset',
  ENOTFOUND: 'dns',
  EAI_AGAIN: 'dns',
  EAI_FAIL: 'dns',
  ETIMEDOUT: 'connect_timeout',
  UND_ERR_CONNECT_TIMEOUT: 'connect_timeout',
  ENETUNREACH: 'unreachable',
  EHOSTUNREACH: 'unreachable',
  EHOSTDOWN: 'unreachable',
  // Certificate verification (OpenSSL's codes, as Node reports them).
  CERT_HAS_EXPIRED: 'tls',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'tls',
  SELF_SIGNED_CERT_IN_CHAIN: 'tls',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'tls',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'tls',
  ERR_TLS_CERT_ALTNAME_INVALID: 'tls',
};

const DESCRIPTION: Record<NetworkFailureKind, string> = {
  connection_refused: 'connection refused',
  connection_reset: 'connection reset or closed by the target',
  dns: 'DNS lookup failed',
  tls: 'TLS handshake failed',
  connect_timeout: 'timed out connecting',
  unreachable: 'target unreachable',
  connection_lost:
    'connection refused, reset or closed before the response headers (the Workers runtime does not say which)',
  other: 'request failed',
};

export interface NetworkFailure {
  kind: NetworkFailureKind;
  /** For the record's `error`: what happened, then the runtime's own words. */
  text: string;
}

function codeOf(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const code = (value as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  // Node tries each address of a name (happy eyeballs) and reports all failures together.
  if (value instanceof AggregateError)
    for (const inner of value.errors) if (codeOf(inner)) return codeOf(inner);
  return undefined;
}

function kindOfCode(code: string): NetworkFailureKind {
  const known = KIND_BY_CODE[code];
  if (known) return known;
  if (code.startsWith('ERR_TLS_') || code.startsWith('ERR_SSL_')) return 'tls';
  return 'other';
}

/** Classifies a rejected `fetch` (not an abort: the caller knows its own timeouts and cancels). */
export function classifyNetworkError(err: unknown): NetworkFailure {
  const words = runtimeWords(err);
  const code = codeOf(err instanceof Error ? err.cause : undefined) ?? codeOf(err);
  let kind: NetworkFailureKind = code !== undefined ? kindOfCode(code) : 'other';
  if (code === undefined && isWorkerdDisconnect(err)) kind = 'connection_lost';
  const detail = code !== undefined ? `${code}: ${words}` : words;
  return { kind, text: `${DESCRIPTION[kind]} (${detail})` };
}

/** workerd marks a lost or refused connection as a retryable remote error. */
function isWorkerdDisconnect(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const flags = err as Error & { remote?: unknown; retryable?: unknown };
  return flags.remote === true && flags.retryable === true;
}

function runtimeWords(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause;
  if (cause instanceof Error && cause.message && cause.message !== err.message)
    return `${err.message}: ${cause.message}`;
  return err.message || err.name;
}

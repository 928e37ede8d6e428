// Reading error responses: the short, secret-free message a failed request's record carries.

const MAX_ERROR_LENGTH = 300;

/**
 * Removes the key and anything that looks like a credential, then bounds the length. Upstream
 * messages may already have been cut before they get here, so a cut-off start of the key at the
 * end of the text is removed too.
 */
export function redact(text: string, apiKey: string | undefined): string {
  let out = apiKey ? text.split(apiKey).join('[redacted]') : text;
  if (apiKey && apiKey.length > 4) {
    const body = out.endsWith('…') ? out.slice(0, -1) : out;
    for (let k = apiKey.length - 1; k >= 4; k--)
      if (body.endsWith(apiKey.slice(0, k))) {
        out = `${body.slice(0, body.length - k)}[redacted]`;
        break;
      }
  }
  out = out
    .replace(/(bearer\s+)[^\s"',;]+/gi, '$1[redacted]')
    .replace(/\b(sk|gsk|xai|pk|rk)[-_][\w*.-]{4,}/g, '$1-[redacted]')
    .replace(/\b(AIza[\w-]{12,}|hf_\w{12,})/g, '[redacted]');
  return out.length > MAX_ERROR_LENGTH ? `${out.slice(0, MAX_ERROR_LENGTH)}…` : out;
}

/** Seconds from `retry-after-ms`, or `Retry-After` as seconds or an HTTP date; undefined if absent. */
export function parseRetryAfter(headers: Headers, nowMs: number): number | undefined {
  const ms = Number.parseFloat(headers.get('retry-after-ms') ?? '');
  if (Number.isFinite(ms) && ms >= 0) return ms / 1000;
  const value = headers.get('retry-after')?.trim();
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value);
  // Only an HTTP-date (`Wed, 21 Oct 2015 07:28:00 GMT`): Date.parse also accepts junk such as "-1".
  if (!/GMT$/.test(value)) return undefined;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - nowMs) / 1000));
}

/** At most `limit` bytes of a body, decoded; '' on any failure. */
export async function readBounded(body: ReadableStream<Uint8Array> | null, limit: number): Promise<string> {
  if (!body) return '';
  const reader = body.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < limit) {
      const { value, done } = await reader.read();
      if (done) break;
      parts.push(value);
      size += value.byteLength;
    }
  } catch {
    // a partial body still makes a message
  } finally {
    reader.cancel().catch(() => {});
  }
  const bytes = new Uint8Array(Math.min(size, limit));
  let at = 0;
  for (const part of parts) {
    if (at >= bytes.length) break;
    const take = part.subarray(0, bytes.length - at);
    bytes.set(take, at);
    at += take.length;
  }
  return new TextDecoder().decode(bytes);
}

/** A one-line summary of an error body: the JSON error's code and message, else the text. */
export function summarizeErrorBody(text: string): string {
  let summary = text;
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null) {
      const obj = parsed as Record<string, unknown>;
      const e =
        typeof obj.error === 'object' && obj.error !== null ? (obj.error as Record<string, unknown>) : obj;
      const message = [e.message, obj.error, obj.detail].find((m) => typeof m === 'string');
      const code = [e.code, e.type].find((c) => typeof c === 'string' || typeof c === 'number');
      if (message !== undefined)
        summary = code !== undefined ? `${String(code)}: ${message}` : String(message);
    }
  } catch {
    // not JSON: keep the text
  }
  summary = summary.replace(/\s+/g, ' ').trim();
  return summary.length > 200 ? `${summary.slice(0, 200)}…` : summary;
}

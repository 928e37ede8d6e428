import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { MAX_REQUEST_BODY_BYTES, MAX_REQUEST_JSON_DEPTH } from '../../core/run/config-bounds.ts';
import { ApiError } from './api-error.ts';

// Request bodies are checked before they are parsed and validated: a body over the size cap is
// refused from its Content-Length (or while it streams in), and one nesting deeper than any valid
// config is refused from its text, so neither JSON.parse nor the schema walks a hostile input.

/**
 * Deepest bracket nesting of JSON text, outside strings; stops counting once past `limit`.
 * Malformed text is left for JSON.parse to report.
 */
export function jsonTextDepth(text: string, limit: number): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (inString) {
      if (code === 0x5c)
        i++; // backslash: skip the escaped character
      else if (code === 0x22) inString = false;
    } else if (code === 0x22) inString = true;
    else if (code === 0x7b || code === 0x5b) {
      depth++;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > limit) return deepest;
      }
    } else if (code === 0x7d || code === 0x5d) depth--;
  }
  return deepest;
}

const sizeLimit = bodyLimit({
  maxSize: MAX_REQUEST_BODY_BYTES,
  onError: () => {
    throw new ApiError(
      'invalid_request',
      `the request body is larger than ${MAX_REQUEST_BODY_BYTES} bytes: shorten the inline trace (rows or times_s)`,
      [{ path: [], message: `at most ${MAX_REQUEST_BODY_BYTES} bytes` }],
    );
  },
});

const depthLimit: MiddlewareHandler = async (c, next) => {
  const depth = jsonTextDepth(await c.req.text(), MAX_REQUEST_JSON_DEPTH);
  if (depth > MAX_REQUEST_JSON_DEPTH)
    throw new ApiError(
      'invalid_request',
      `the request body nests more than ${MAX_REQUEST_JSON_DEPTH} levels deep`,
      [{ path: [], message: `at most ${MAX_REQUEST_JSON_DEPTH} levels of nesting` }],
    );
  await next();
};

/** For requests with a body: the size cap, then the nesting cap, before anything parses it. */
export const bodyGuard: MiddlewareHandler = async (c, next) => {
  if (c.req.method === 'GET' || c.req.method === 'HEAD' || c.req.raw.body === null) return next();
  return sizeLimit(c, async () => {
    await depthLimit(c, next);
  });
};

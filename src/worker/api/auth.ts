import type { MiddlewareHandler } from 'hono';
import { timingSafeEqual } from 'hono/utils/buffer';
import { settingsOf } from '../env.ts';
import { ApiError } from './api-error.ts';

/** Bearer-token auth for `/v1`: the token comes from the CONTROL_TOKEN secret, compared in constant time. */
export function bearerAuth(): MiddlewareHandler<{ Bindings: Env }> {
  return async (c, next) => {
    const expected = settingsOf(c.env).CONTROL_TOKEN;
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match?.[1])
      throw new ApiError(
        'unauthorized',
        'missing bearer token: send `Authorization: Bearer <CONTROL_TOKEN>`',
      );
    // Hashes both sides before comparing, so neither content nor length leaks through timing.
    if (!(await timingSafeEqual(match[1], expected)))
      throw new ApiError('unauthorized', 'invalid bearer token');
    await next();
  };
}

import { z } from '@hono/zod-openapi';
import { errorBodySchema as sharedErrorBodySchema } from '../../core/api/control-api-schemas.ts';
import { ERROR_CODES } from './api-error.ts';

/** core's error body, with the closed list of codes this API answers with. */
const errorBodySchema = sharedErrorBodySchema.extend({
  error: sharedErrorBodySchema.shape.error.extend({ code: z.enum(ERROR_CODES) }),
});

const errorResponse = (description: string) => ({
  content: { 'application/json': { schema: errorBodySchema } },
  description,
});

/** The error responses every `/v1` route may give (codes: see api-error.ts). */
export const errorResponses = {
  400: errorResponse('invalid_request, invalid_config or unknown_secret: every issue with its path'),
  401: errorResponse('unauthorized: missing or wrong bearer token'),
  404: errorResponse('not_found'),
  409: errorResponse('conflict: the run is not in a state that allows this'),
  500: errorResponse('internal or misconfigured'),
  503: errorResponse('unavailable: a Durable Object could not be reached'),
} as const;

/** The `{id}` path parameter of every resource route. */
export const idParams = z.object({ id: z.string().min(1).max(100) });

/** The query of every newest-first list route: a bounded page size and the opaque cursor. */
export const listQuery = (limit: { min: number; max: number; default: number }) =>
  z.object({
    limit: z.coerce.number().int().min(limit.min).max(limit.max).default(limit.default),
    cursor: z.string().max(500).optional(),
  });

/** A JSON response of `schema` for createRoute's `responses`. */
export const json = <T extends z.ZodType>(schema: T, description: string) => ({
  content: { 'application/json': { schema } },
  description,
});

export const OPENAPI_INFO = {
  openapi: '3.1.0',
  info: {
    title: 'fluidbench control API',
    version: '0.1.0',
    description:
      'Create LLM-inference benchmark runs, follow their progress and read their results. Every /v1 route needs `Authorization: Bearer <CONTROL_TOKEN>`.',
  },
} as const;

import { z } from 'zod';
import { RUN_STATES } from '../run/run-state.ts';
import { runListEntrySchema } from '../run/run-status.ts';

// The bodies of the control API (src/worker/api/runs-routes.ts), pure zod: the routes declare them
// in /openapi.json and the CLI derives its types from them and checks what it receives.
// A run's status is core/run/run-status.ts's runStatusSchema; its results, run-results-schema.ts.

/** `POST /v1/runs` → 201. */
export const createdRunSchema = z.object({
  id: z.string(),
  state: z.enum(RUN_STATES),
  shards: z.number().int(),
  expected_requests: z.number().int().nullable(),
  links: z.record(z.string(), z.string()),
});
export type CreatedRun = z.infer<typeof createdRunSchema>;

/** `GET /v1/runs` → 200: a page of runs, newest first; `next` is the following page's cursor. */
export const runListSchema = z.object({ runs: z.array(runListEntrySchema), next: z.string().nullable() });
export type RunList = z.infer<typeof runListSchema>;

/** `POST /v1/runs/{id}/cancel` → 202. */
export const cancelledRunSchema = z.object({ id: z.string(), state: z.enum(RUN_STATES) });
export type CancelledRun = z.infer<typeof cancelledRunSchema>;

/** `GET /v1/runs` query: the page size's bounds and default, shared by the route and `fluidbench runs`. */
export const RUN_LIST_LIMIT = { min: 1, max: 200, default: 50 } as const;

/** `GET /v1/runs/{id}/requests` query: records per call, shared by the route and `fluidbench export`. */
export const REQUESTS_PAGE_LIMIT = { min: 1, max: 500_000, default: 100_000 } as const;

const errorIssueSchema = z.object({
  path: z.array(z.union([z.string(), z.number()])),
  message: z.string(),
});

/**
 * Every error answer. The code is one of the API's codes (listed in /openapi.json); clients accept
 * any string so that a newer server's code still reads as an error, not as a broken answer.
 */
export const errorBodySchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    request_id: z.string(),
    issues: z.array(errorIssueSchema).optional(),
  }),
});
export type ErrorBody = z.infer<typeof errorBodySchema>;

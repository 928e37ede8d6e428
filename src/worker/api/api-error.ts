import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

/** The closed list of error codes the API answers with, and the HTTP status of each. */
export const ERROR_STATUS = {
  invalid_request: 400,
  invalid_config: 400,
  unknown_secret: 400,
  unauthorized: 401,
  not_found: 404,
  conflict: 409,
  unsupported_media_type: 415,
  internal: 500,
  misconfigured: 500,
  unavailable: 503,
} as const satisfies Record<string, ContentfulStatusCode>;
export type ErrorCode = keyof typeof ERROR_STATUS;
export const ERROR_CODES = Object.keys(ERROR_STATUS) as ErrorCode[];

export interface ErrorIssue {
  path: (string | number)[];
  message: string;
}

/** An error the API reports as `{ error: { code, message, request_id, issues? } }`. */
export class ApiError extends Error {
  override name = 'ApiError';
  readonly code: ErrorCode;
  readonly issues: ErrorIssue[] | undefined;
  constructor(code: ErrorCode, message: string, issues?: ErrorIssue[]) {
    super(message);
    this.code = code;
    this.issues = issues;
  }
}

export interface ErrorBody {
  error: { code: ErrorCode; message: string; request_id: string; issues?: ErrorIssue[] };
}

export function errorResponse(c: Context, error: ApiError): Response {
  const body: ErrorBody = {
    error: {
      code: error.code,
      message: error.message,
      request_id: c.get('requestId') ?? 'unknown',
      ...(error.issues ? { issues: error.issues } : {}),
    },
  };
  return c.json(body, ERROR_STATUS[error.code]);
}

/** Zod-style issues as the API reports them (every one, with its path). */
export function toIssues(issues: readonly { path: readonly PropertyKey[]; message: string }[]): ErrorIssue[] {
  return issues.map((issue) => ({
    path: issue.path.map((p) => (typeof p === 'number' ? p : String(p))),
    message: issue.message,
  }));
}

/** One line naming every issue: `workload.arrivals.qps: Too small; target.model: Required`. */
export function describeIssues(issues: readonly ErrorIssue[]): string {
  return issues.map((i) => `${i.path.length ? i.path.join('.') : '(body)'}: ${i.message}`).join('; ');
}

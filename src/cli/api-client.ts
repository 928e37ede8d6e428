import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { z } from 'zod';
import { type AlertsResponse, alertsResponseSchema } from '../core/api/alerts-api-schemas.ts';
import {
  type CancelledRun,
  type CreatedRun,
  cancelledRunSchema,
  createdRunSchema,
  type ErrorBody,
  errorBodySchema,
  type RunList,
  runListSchema,
} from '../core/api/control-api-schemas.ts';
import { type HistoryResponse, historyResponseSchema } from '../core/api/history-api-schemas.ts';
import {
  type ProfileDetail,
  type ProfileList,
  profileDetailSchema,
  profileListSchema,
} from '../core/api/profile-api-schemas.ts';
import { type RunResults, runResultsSchema } from '../core/api/run-results-schema.ts';
import {
  type ScheduleDetail,
  type ScheduleStartRecord,
  scheduleDetailSchema,
  scheduleListSchema,
  scheduleStartRecordSchema,
} from '../core/api/schedule-api-schemas.ts';
import {
  type CancelledSearch,
  type CreatedSearch,
  cancelledSearchSchema,
  createdSearchSchema,
  type SearchStatus,
  searchStatusSchema,
} from '../core/api/search-api-schemas.ts';
import type { ProfileRequestInput } from '../core/profile/profile-request.ts';
import type { RunConfigInput } from '../core/run/run-config.ts';
import { type RunStatus, runStatusSchema } from '../core/run/run-status.ts';
import { CliError, EXIT_BAD_INPUT, EXIT_BUG, formatIssues, formatPath } from './cli-error.ts';

// A typed client of the control API (src/worker/api/runs-routes.ts). Its types and checks are the
// routes' own schemas (src/core/api): an answer of another shape is an error naming the field.
// Every failure becomes a CliError whose message is what the user should read; the token never
// appears in one.

/** The local dev server's port (`npm run dev`, the demo and the local stack use it). */
export const DEFAULT_PORT = 8787;
export const DEFAULT_URL = `http://127.0.0.1:${DEFAULT_PORT}`;
/** Records per request when paging a run's records (well under the route's maximum). */
export const DEFAULT_PAGE_SIZE = 10_000;

/** Codes that mean the user's input was wrong (exit 2); anything else is a failure (exit 1). */
const BAD_INPUT_CODES = new Set([
  'invalid_request',
  'invalid_config',
  'unknown_secret',
  'unsupported_media_type',
]);

/** An API error as the CLI prints it: `code: message (request id)` and one line per issue. */
export class ApiCallError extends CliError {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string, exitCode: number) {
    super(message, exitCode);
    this.name = 'ApiCallError';
    this.status = status;
    this.code = code;
  }
}

/** The API could not be reached at all (refused, reset, DNS, TLS): worth retrying while polling. */
export class ApiUnreachableError extends CliError {
  /** The network error code (`ECONNREFUSED`, `ENOTFOUND`, …) when the runtime gave one. */
  readonly code: string | undefined;
  constructor(message: string, code: string | undefined) {
    super(message, EXIT_BUG);
    this.name = 'ApiUnreachableError';
    this.code = code;
  }
}

/** Builds the error for a non-2xx answer; `body` is the raw response text. */
export function apiError(status: number, body: string, hint?: string): ApiCallError {
  let parsed: ErrorBody | undefined;
  try {
    const result = errorBodySchema.safeParse(JSON.parse(body));
    if (result.success) parsed = result.data;
  } catch {
    // not the API's JSON: an intermediary or a different server answered
  }
  if (!parsed) {
    const text = body.trim().replace(/\s+/g, ' ').slice(0, 200);
    return new ApiCallError(status, 'http_error', `HTTP ${status}${text ? `: ${text}` : ''}`, EXIT_BUG);
  }
  const { code, message, request_id: requestId, issues = [] } = parsed.error;
  // The API repeats every issue in its message; with the issue lines below, a count reads better.
  const repeated = issues.length > 0 && issues.every((i) => message.includes(i.message));
  const head = repeated ? `${issues.length} issue${issues.length === 1 ? '' : 's'}` : message;
  const lines = [`${code}: ${head}${requestId ? ` (request ${requestId})` : ''}${hint ? `; ${hint}` : ''}`];
  for (const issue of issues) lines.push(`  ${formatPath(issue.path) || '(body)'}: ${issue.message}`);
  return new ApiCallError(
    status,
    code,
    lines.join('\n'),
    BAD_INPUT_CODES.has(code) ? EXIT_BAD_INPUT : EXIT_BUG,
  );
}

/** `--url`, else FLUIDBENCH_URL, else the local dev server; checked and without a trailing slash. */
export function resolveBaseUrl(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const raw = flag ?? (env.FLUIDBENCH_URL || undefined) ?? DEFAULT_URL;
  const source = flag !== undefined ? '--url' : env.FLUIDBENCH_URL ? 'FLUIDBENCH_URL' : 'default';
  if (!URL.canParse(raw)) throw new CliError(`${source}: not a URL: ${JSON.stringify(raw)}`);
  const url = new URL(raw);
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new CliError(`${source}: expected an http:// or https:// URL, got ${JSON.stringify(raw)}`);
  return url.href.replace(/\/+$/, '');
}

export function isLoopback(url: string): boolean {
  const host = new URL(url).hostname;
  return host === 'localhost' || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host);
}

/** A KEY=VALUE file (.dev.vars): comments, blank lines, optional quotes. */
export function parseDotenv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const match = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (!match) continue;
    let value = match[2]!;
    const quoted = /^(["'])(.*)\1$/.exec(value);
    if (quoted) value = quoted[2]!;
    else value = value.replace(/\s+#.*$/, '');
    out[match[1]!] = value;
  }
  return out;
}

export interface TokenSource {
  token: string;
  /** Where it came from, for messages (never the value). */
  source: string;
}

/**
 * FLUIDBENCH_TOKEN, else (loopback URLs only: a local dev server) CONTROL_TOKEN from ./.dev.vars,
 * else from ./.dev.vars.example. A remote API never gets a local file's token.
 */
export async function resolveToken(
  baseUrl: string,
  env: NodeJS.ProcessEnv = process.env,
  cwd = process.cwd(),
): Promise<TokenSource | undefined> {
  if (env.FLUIDBENCH_TOKEN) return { token: env.FLUIDBENCH_TOKEN, source: 'FLUIDBENCH_TOKEN' };
  if (!isLoopback(baseUrl)) return undefined;
  for (const name of ['.dev.vars', '.dev.vars.example']) {
    let text: string;
    try {
      text = await readFile(path.join(cwd, name), 'utf8');
    } catch {
      continue;
    }
    const token = parseDotenv(text).CONTROL_TOKEN;
    if (token) return { token, source: `CONTROL_TOKEN in ${name}` };
  }
  return undefined;
}

/** Why fetch could not reach the server: the first error code in its `cause` chain, else the innermost message. */
function networkCause(error: unknown): { code?: string; message: string } {
  let cause: unknown = error;
  let message = (error as Error).message;
  for (let i = 0; i < 5 && cause; i++) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'string') return { code, message };
    if (cause instanceof Error) message = cause.message;
    cause = (cause as { cause?: unknown }).cause;
  }
  return { message };
}

export interface ApiClientOptions {
  url: string;
  token: TokenSource | undefined;
  fetch?: typeof fetch;
}

export class ApiClient {
  readonly url: string;
  private readonly token: TokenSource | undefined;
  private readonly fetchImpl: typeof fetch;

  constructor(options: ApiClientOptions) {
    this.url = options.url;
    this.token = options.token;
    this.fetchImpl = options.fetch ?? fetch;
  }

  /** A client from `--url` and the environment (see resolveBaseUrl and resolveToken). */
  static async fromEnvironment(urlFlag?: string, env = process.env, cwd = process.cwd()): Promise<ApiClient> {
    const url = resolveBaseUrl(urlFlag, env);
    return new ApiClient({ url, token: await resolveToken(url, env, cwd) });
  }

  createRun(config: RunConfigInput | Record<string, unknown>): Promise<CreatedRun> {
    return this.json(createdRunSchema, 'POST', '/v1/runs', config);
  }

  listRuns(options: { limit?: number; cursor?: string } = {}): Promise<RunList> {
    const query = new URLSearchParams();
    if (options.limit !== undefined) query.set('limit', String(options.limit));
    if (options.cursor !== undefined) query.set('cursor', options.cursor);
    return this.json(runListSchema, 'GET', `/v1/runs${query.size > 0 ? `?${query}` : ''}`);
  }

  getRun(id: string): Promise<RunStatus> {
    return this.json(runStatusSchema, 'GET', `/v1/runs/${encodeURIComponent(id)}`);
  }

  cancelRun(id: string): Promise<CancelledRun> {
    return this.json(cancelledRunSchema, 'POST', `/v1/runs/${encodeURIComponent(id)}/cancel`);
  }

  createProfile(request: ProfileRequestInput | Record<string, unknown>): Promise<ProfileDetail> {
    return this.json(profileDetailSchema, 'POST', '/v1/profiles', request);
  }

  getProfile(id: string): Promise<ProfileDetail> {
    return this.json(profileDetailSchema, 'GET', `/v1/profiles/${encodeURIComponent(id)}`);
  }

  listProfiles(options: { limit?: number; cursor?: string } = {}): Promise<ProfileList> {
    const query = new URLSearchParams();
    if (options.limit !== undefined) query.set('limit', String(options.limit));
    if (options.cursor !== undefined) query.set('cursor', options.cursor);
    return this.json(profileListSchema, 'GET', `/v1/profiles${query.size > 0 ? `?${query}` : ''}`);
  }

  getResults(id: string): Promise<RunResults> {
    return this.json(runResultsSchema, 'GET', `/v1/runs/${encodeURIComponent(id)}/results`);
  }

  createSearch(request: Record<string, unknown>): Promise<CreatedSearch> {
    return this.json(createdSearchSchema, 'POST', '/v1/searches', request);
  }

  getSearch(id: string): Promise<SearchStatus> {
    return this.json(searchStatusSchema, 'GET', `/v1/searches/${encodeURIComponent(id)}`);
  }

  cancelSearch(id: string): Promise<CancelledSearch> {
    return this.json(cancelledSearchSchema, 'POST', `/v1/searches/${encodeURIComponent(id)}/cancel`);
  }

  /** `GET /v1/history` with the given filters (names as the API's query parameters). */
  getHistory(filters: Record<string, string | number | undefined>): Promise<HistoryResponse> {
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(filters))
      if (value !== undefined) query.set(key, String(value));
    return this.json(historyResponseSchema, 'GET', `/v1/history${query.size > 0 ? `?${query}` : ''}`);
  }

  /** `GET /v1/alerts` with the given filters (names as the API's query parameters). */
  getAlerts(filters: Record<string, string | number | undefined>): Promise<AlertsResponse> {
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(filters))
      if (value !== undefined) query.set(key, String(value));
    return this.json(alertsResponseSchema, 'GET', `/v1/alerts${query.size > 0 ? `?${query}` : ''}`);
  }

  createSchedule(request: Record<string, unknown>): Promise<ScheduleDetail> {
    return this.json(scheduleDetailSchema, 'POST', '/v1/schedules', request);
  }

  listSchedules(
    options: { limit?: number; cursor?: string } = {},
  ): Promise<z.infer<typeof scheduleListSchema>> {
    const query = new URLSearchParams();
    if (options.limit !== undefined) query.set('limit', String(options.limit));
    if (options.cursor !== undefined) query.set('cursor', options.cursor);
    return this.json(scheduleListSchema, 'GET', `/v1/schedules${query.size > 0 ? `?${query}` : ''}`);
  }

  getSchedule(id: string): Promise<ScheduleDetail> {
    return this.json(scheduleDetailSchema, 'GET', `/v1/schedules/${encodeURIComponent(id)}`);
  }

  updateSchedule(id: string, update: Record<string, unknown>): Promise<ScheduleDetail> {
    return this.json(scheduleDetailSchema, 'PATCH', `/v1/schedules/${encodeURIComponent(id)}`, update);
  }

  async deleteSchedule(id: string): Promise<void> {
    await this.send('DELETE', `/v1/schedules/${encodeURIComponent(id)}`);
  }

  triggerSchedule(id: string): Promise<ScheduleStartRecord> {
    return this.json(scheduleStartRecordSchema, 'POST', `/v1/schedules/${encodeURIComponent(id)}/trigger`);
  }

  /**
   * One page of request records (JSONL lines, without blank ones) from the cursor `after`, and the
   * cursor of the next page (`x-next-cursor`; null on the last page).
   */
  async requestsPage(
    id: string,
    options: { after?: string; limit: number },
  ): Promise<{ lines: string[]; runState: string | null; next: string | null }> {
    const query = new URLSearchParams({ limit: String(options.limit) });
    if (options.after !== undefined) query.set('after', options.after);
    const response = await this.send('GET', `/v1/runs/${encodeURIComponent(id)}/requests?${query}`);
    const text = await response.text();
    const lines = text.split('\n').filter((l) => l.trim() !== '');
    return {
      lines,
      runState: response.headers.get('x-run-state'),
      // Empty on the last page; absent from servers that paged by id.
      next: nextCursor(response.headers.get('x-next-cursor'), lines, options.limit),
    };
  }

  /** Every record of a run, page by page, each page from the cursor the previous one gave. */
  async *requestPages(
    id: string,
    pageSize = DEFAULT_PAGE_SIZE,
  ): AsyncGenerator<{ lines: string[]; runState: string | null }> {
    let after: string | undefined;
    for (;;) {
      const page = await this.requestsPage(id, {
        limit: pageSize,
        ...(after !== undefined ? { after } : {}),
      });
      if (page.lines.length > 0) yield { lines: page.lines, runState: page.runState };
      if (page.next === null) return;
      after = page.next;
    }
  }

  /**
   * The answer, checked against the route's schema. The value returned is the answer as sent (not
   * the parsed copy), so fields a newer server adds still reach `--json` output.
   */
  private async json<S extends z.ZodType>(
    schema: S,
    method: string,
    route: string,
    body?: unknown,
  ): Promise<z.infer<S>> {
    const response = await this.send(method, route, body);
    const text = await response.text();
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new CliError(
        `${method} ${route}: the API answered with something that is not JSON: ${text.slice(0, 120)}`,
        EXIT_BUG,
      );
    }
    const checked = schema.safeParse(value);
    if (!checked.success) {
      const issues = checked.error.issues.map((i) => ({ where: formatPath(i.path), message: i.message }));
      throw new CliError(
        `${method} ${route}: the API's answer does not match its schema (a different fluidbench version?): ${formatIssues(issues, 3)}`,
        EXIT_BUG,
      );
    }
    return value as z.infer<S>;
  }

  private async send(method: string, route: string, body?: unknown): Promise<Response> {
    if (!this.token) {
      throw new CliError(
        `no API token for ${this.url}: set FLUIDBENCH_TOKEN to the Worker's CONTROL_TOKEN secret`,
        EXIT_BAD_INPUT,
      );
    }
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.token.token}`,
      accept: 'application/json',
    };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await this.fetchImpl(`${this.url}${route}`, {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch (error) {
      const { code, message } = networkCause(error);
      if (code === 'ECONNREFUSED')
        throw new ApiUnreachableError(
          `cannot reach the fluidbench API at ${this.url} (connection refused): start it with \`npm run dev\`, ` +
            'or point --url / FLUIDBENCH_URL at a running one',
          code,
        );
      throw new ApiUnreachableError(
        `cannot reach the fluidbench API at ${this.url}: ${code ?? message}`,
        code,
      );
    }
    if (response.ok) return response;
    const text = await response.text();
    const hint = response.status === 401 ? `the token came from ${this.token.source}` : undefined;
    throw apiError(response.status, text, hint);
  }
}

/** True when `error` is an API or network error that polling may retry (not a 4xx answer). */
export function isTransient(error: unknown): boolean {
  if (error instanceof ApiCallError) return error.status >= 500;
  return error instanceof ApiUnreachableError;
}

/**
 * The next page's cursor: the header's when there is one (empty: none); from a server older than
 * `x-next-cursor`, the last record's id after a full page (those servers ordered records by id).
 */
function nextCursor(header: string | null, lines: readonly string[], limit: number): string | null {
  if (header !== null) return header === '' ? null : header;
  if (lines.length < limit) return null;
  const last = lines[lines.length - 1]!;
  const lastId = (JSON.parse(last) as { id?: unknown }).id;
  if (typeof lastId !== 'string')
    throw new CliError(`the API sent a record without an id: ${last.slice(0, 120)}`, EXIT_BUG);
  return lastId;
}

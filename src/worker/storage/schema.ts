// D1 tables (drizzle sqlite-core). `migrations/` is generated from this file with
// `npx drizzle-kit generate`; never edit a generated migration by hand.
import {
  customType,
  index,
  integer,
  primaryKey,
  real,
  sqliteTable,
  text,
  uniqueIndex,
} from 'drizzle-orm/sqlite-core';
import { PROFILE_STATES } from '../../core/api/profile-api-schemas.ts';
import { START_OUTCOMES, START_TRIGGERS } from '../../core/api/schedule-api-schemas.ts';
import { SEARCH_STATES } from '../../core/api/search-api-schemas.ts';
import { HEADLINE_METRIC_NAMES, HISTORY_KINDS } from '../../core/history/headline-metrics.ts';
import { OUTCOMES, TOKEN_COUNT_SOURCES } from '../../core/record/request-record.ts';
import { RUN_STATES } from '../../core/run/run-state.ts';

/**
 * A BLOB as a plain Uint8Array. drizzle's `blob({ mode: 'buffer' })` types it as a Node Buffer; D1
 * hands blobs back as ArrayBuffer or an array of numbers depending on the path, so normalise here.
 */
const bytes = customType<{ data: Uint8Array; driverData: Uint8Array | ArrayBuffer | number[] }>({
  dataType: () => 'blob',
  toDriver: (value) => value,
  fromDriver: (value) => {
    if (value instanceof Uint8Array) return value;
    if (Array.isArray(value)) return Uint8Array.from(value);
    return new Uint8Array(value);
  },
});

export const runs = sqliteTable(
  'runs',
  {
    id: text('id').primaryKey(),
    createdAtMs: integer('created_at_ms').notNull(),
    name: text('name'),
    state: text('state', { enum: RUN_STATES }).notNull(),
    /** The validated run configuration; it never contains secrets. */
    configJson: text('config_json').notNull(),
    /** The shard plan, once made. */
    planJson: text('plan_json'),
    resultsJson: text('results_json'),
    /** Why the run ended: "completed", "cancelled by user", "limit: max_duration_s reached", an error. */
    reason: text('reason'),
    startedAtMs: integer('started_at_ms'),
    finishedAtMs: integer('finished_at_ms'),
  },
  // (created_at_ms, id) is the newest-first listing order, so a cursor page is a single index range.
  (t) => [index('runs_created_at_ms_idx').on(t.createdAtMs, t.id)],
);

/**
 * Records of runs stored before pages (`request_pages`): read and counted, never written now. One
 * row per request (docs/streaming.md#d1), the chunk timeline packed into `chunks` by chunk-codec. Only the primary key is indexed: every extra index costs a row written per insert.
 * 20 columns, so ⌊100 / 20⌋ = 5 rows fit one INSERT under D1's 100 bound parameters (the four
 * nullable reasoning-split columns took it from 6; any 17th column would have).
 */
export const requests = sqliteTable(
  'requests',
  {
    runId: text('run_id').notNull(),
    id: text('id').notNull(),
    shard: integer('shard').notNull(),
    /** Order of the request within its shard. */
    seq: integer('seq').notNull(),
    region: text('region'),
    warmup: integer('warmup', { mode: 'boolean' }).notNull().default(false),
    scheduledAtMs: real('scheduled_at_ms'),
    sentAtMs: real('sent_at_ms').notNull(),
    headersMs: real('headers_ms'),
    promptTokens: integer('prompt_tokens').notNull(),
    outputTokens: integer('output_tokens').notNull(),
    chunks: bytes('chunks').notNull(),
    tokenCountSource: text('token_count_source', { enum: TOKEN_COUNT_SOURCES }).notNull(),
    outcome: text('outcome', { enum: OUTCOMES }).notNull(),
    status: integer('status'),
    error: text('error'),
    // The reasoning split (docs/metrics.md#reasoning), null when the provider reported nothing.
    reasoningTokens: integer('reasoning_tokens'),
    firstReasoningMs: real('first_reasoning_ms'),
    firstVisibleMs: real('first_visible_ms'),
    cachedPromptTokens: integer('cached_prompt_tokens'),
  },
  (t) => [primaryKey({ columns: [t.runId, t.id] })],
);

/**
 * Request records, many to a row (docs/streaming.md#d1): `records` is a record-page-codec page of
 * one shard's records, keyed by the shard's first batch number in it. `n`, `warmup_n` and
 * `outcomes` (JSON: measured records per outcome) let a run be counted without decoding. Only the
 * primary key is indexed: every extra index costs a row written per insert.
 */
export const requestPages = sqliteTable(
  'request_pages',
  {
    runId: text('run_id').notNull(),
    shard: integer('shard').notNull(),
    page: integer('page').notNull(),
    n: integer('n').notNull(),
    warmupN: integer('warmup_n').notNull(),
    outcomes: text('outcomes').notNull(),
    records: bytes('records').notNull(),
  },
  (t) => [primaryKey({ columns: [t.runId, t.shard, t.page] })],
);

/**
 * A prefill profile (docs/metrics.md#prefill-profiles): the request, the run that measures it (its id
 * derived from the profile's), and once that run has ended, the fitted profile file.
 */
export const profiles = sqliteTable(
  'profiles',
  {
    id: text('id').primaryKey(),
    createdAtMs: integer('created_at_ms').notNull(),
    name: text('name'),
    state: text('state', { enum: PROFILE_STATES }).notNull(),
    /** The validated profile request (never contains secrets). */
    requestJson: text('request_json').notNull(),
    runId: text('run_id').notNull(),
    /** The fitted profile in the `fluidbench analyze --prefill-profile` file format, once done. */
    profileJson: text('profile_json'),
    reason: text('reason'),
    finishedAtMs: integer('finished_at_ms'),
  },
  (t) => [index('profiles_created_at_ms_idx').on(t.createdAtMs, t.id)],
);

export type RunRow = typeof runs.$inferSelect;
export type ProfileRow = typeof profiles.$inferSelect;
export type RequestDbRow = typeof requests.$inferSelect;

/** One row per capacity search; its campaign object writes the live result as it learns. */
export const searches = sqliteTable(
  'searches',
  {
    id: text('id').primaryKey(),
    createdAtMs: integer('created_at_ms').notNull(),
    name: text('name'),
    state: text('state', { enum: SEARCH_STATES }).notNull(),
    /** The validated request: the probe template and the search settings (never secrets). */
    requestJson: text('request_json').notNull(),
    /** The bracket and result so far (the final result once ended). */
    resultJson: text('result_json'),
    /** Warm-start key: api, base_url host and model, lengths and SLO (see searches-store.ts). */
    warmKey: text('warm_key').notNull(),
    reason: text('reason'),
    finishedAtMs: integer('finished_at_ms'),
  },
  (t) => [
    index('searches_created_at_ms_idx').on(t.createdAtMs, t.id),
    index('searches_warm_key_idx').on(t.warmKey, t.state, t.finishedAtMs),
  ],
);

/** One row per probe of a search: its deterministic run id, load, and outcome once it ended. */
export const probes = sqliteTable(
  'probes',
  {
    searchId: text('search_id').notNull(),
    index: integer('probe_index').notNull(),
    /** `<search id>-p<index>`: a retried step finds the run it already started. */
    runId: text('run_id').notNull(),
    load: real('load').notNull(),
    replicateOf: integer('replicate_of'),
    state: text('state', { enum: RUN_STATES }).notNull(),
    /** The probe's outcome and report (counts, interval, verdict, why it stopped), once ended. */
    outcomeJson: text('outcome_json'),
    startedAtMs: integer('started_at_ms').notNull(),
    finishedAtMs: integer('finished_at_ms'),
  },
  (t) => [primaryKey({ columns: [t.searchId, t.index] })],
);

export type SearchRow = typeof searches.$inferSelect;
export type ProbeRow = typeof probes.$inferSelect;

/**
 * One headline figure of a finished run, profile or search, per region (`all` for the whole run):
 * the time series behind `GET /v1/history` (docs/history.md). `run_id` is the search's id for a
 * capacity point. Written once per run; a retried write changes nothing.
 */
export const history = sqliteTable(
  'history',
  {
    runId: text('run_id').notNull(),
    kind: text('kind', { enum: HISTORY_KINDS }).notNull(),
    scheduleId: text('schedule_id'),
    api: text('api').notNull(),
    /** The host of the target's base_url (no path, no credentials). */
    host: text('host').notNull(),
    model: text('model').notNull(),
    region: text('region').notNull(),
    metric: text('metric', { enum: HEADLINE_METRIC_NAMES }).notNull(),
    value: real('value').notNull(),
    /** The figure's own interval, when its measurement gives one (a capacity estimate's). */
    lo: real('lo'),
    hi: real('hi'),
    /** When the run or search finished. */
    atMs: integer('at_ms').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.runId, t.region, t.metric] }),
    index('history_series_idx').on(t.api, t.host, t.model, t.region, t.metric, t.atMs),
  ],
);

export type HistoryRow = typeof history.$inferSelect;

/** A schedule (docs/schedules.md): what to start, when (cron in a time zone), and where it is up to. */
export const schedules = sqliteTable(
  'schedules',
  {
    id: text('id').primaryKey(),
    createdAtMs: integer('created_at_ms').notNull(),
    name: text('name').notNull(),
    cron: text('cron').notNull(),
    timezone: text('timezone').notNull(),
    enabled: integer('enabled', { mode: 'boolean' }).notNull(),
    /** The validated `start` (a run config; never secrets, only secret names). */
    startJson: text('start_json').notNull(),
    /** Due times at or before this are not owed: creation, or the last re-timing or resume. */
    sinceMs: integer('since_ms').notNull(),
    /** The last due time handled (started, skipped or failed); null before the first. */
    lastDueMs: integer('last_due_ms'),
    /** The name (never the value) of the secret holding the webhook URL for this schedule's alerts; null: the global ALERT_WEBHOOK_SECRET. */
    alertWebhookSecret: text('alert_webhook_secret'),
  },
  (t) => [index('schedules_created_at_ms_idx').on(t.createdAtMs, t.id)],
);

/**
 * One row per due time handled (and per manual trigger). The primary key is what makes a double
 * tick harmless: only the tick whose INSERT added the row starts the run.
 */
export const scheduleStarts = sqliteTable(
  'schedule_starts',
  {
    scheduleId: text('schedule_id').notNull(),
    dueMs: integer('due_ms').notNull(),
    trigger: text('trigger', { enum: START_TRIGGERS }).notNull(),
    /** JSON array of the run ids started (one, or a suite's); null when skipped. */
    runIdsJson: text('run_ids_json'),
    outcome: text('outcome', { enum: START_OUTCOMES }).notNull(),
    coalesced: integer('coalesced').notNull(),
    reason: text('reason'),
    atMs: integer('at_ms').notNull(),
  },
  (t) => [primaryKey({ columns: [t.scheduleId, t.dueMs] })],
);

export type ScheduleRow = typeof schedules.$inferSelect;
export type ScheduleStartRow = typeof scheduleStarts.$inferSelect;

/** Where an alert's webhook delivery stands (docs/history.md#alerts). */
export const WEBHOOK_STATES = ['pending', 'sent', 'failed', 'none'] as const;

/**
 * Regressions found when a run's history points were written (docs/history.md#alerts): one row per
 * flagged (run, region, metric), stored once, with the state of its webhook delivery. Never holds
 * the webhook's URL or any secret.
 */
export const alerts = sqliteTable(
  'alerts',
  {
    id: text('id').primaryKey(),
    createdAtMs: integer('created_at_ms').notNull(),
    runId: text('run_id').notNull(),
    scheduleId: text('schedule_id'),
    api: text('api').notNull(),
    host: text('host').notNull(),
    model: text('model').notNull(),
    region: text('region').notNull(),
    metric: text('metric', { enum: HEADLINE_METRIC_NAMES }).notNull(),
    value: real('value').notNull(),
    baseline: real('baseline').notNull(),
    bandLo: real('band_lo').notNull(),
    bandHi: real('band_hi').notNull(),
    reason: text('reason', { enum: ['outside_band_twice', 'interval_excludes_baseline'] }).notNull(),
    webhookState: text('webhook_state', { enum: WEBHOOK_STATES }).notNull(),
    attempts: integer('attempts').notNull().default(0),
    /** When the next delivery may be tried (or a claimed one's lease ends). */
    nextAttemptMs: integer('next_attempt_ms').notNull(),
    /** The name (never the value) of the secret holding the URL to send it to; null: the global ALERT_WEBHOOK_SECRET. */
    webhookSecret: text('webhook_secret'),
  },
  (t) => [
    uniqueIndex('alerts_run_region_metric_idx').on(t.runId, t.region, t.metric),
    index('alerts_created_idx').on(t.createdAtMs),
    index('alerts_delivery_idx').on(t.webhookState, t.nextAttemptMs),
  ],
);

export type AlertRow = typeof alerts.$inferSelect;

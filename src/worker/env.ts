import { z } from 'zod';

/**
 * The Worker's configuration, validated once per isolate. Secrets (CONTROL_TOKEN, target API keys)
 * come from `wrangler secret put` or `.dev.vars`; their values never reach logs, D1 or responses.
 */
const settingsSchema = z.object({
  CONTROL_TOKEN: z
    .string({
      error:
        'CONTROL_TOKEN is not set: `wrangler secret put CONTROL_TOKEN`, or copy .dev.vars.example to .dev.vars',
    })
    .min(16, 'CONTROL_TOKEN must be at least 16 characters'),
  /** Where a shard learns which Cloudflare colo it runs in (`colo=` line); unset locally (offline). */
  COLO_TRACE_URL: z.url().optional(),
  /** Tuning, mainly for tests: shard heartbeat period, silence before a shard counts as dead, slice length. */
  HEARTBEAT_MS: z.coerce.number().int().min(100).default(2_000),
  DEAD_SHARD_MS: z.coerce.number().int().min(1_000).default(60_000),
  SHARD_SLICE_S: z.coerce.number().min(1).max(840).default(600),
  /** Per alarm slice: at most this many subrequests and D1 queries (production: 10,000 and 1,000). */
  SLICE_MAX_SUBREQUESTS: z.coerce.number().int().min(20).default(9_000),
  SLICE_MAX_D1_QUERIES: z.coerce.number().int().min(20).default(900),
  /** Delay between creating a run and its schedule's time 0, so every shard starts together. */
  START_DELAY_MS: z.coerce.number().int().min(0).default(1_500),
  /**
   * Tests only: `<run name>/<shard index>` makes that shard's alarm throw every time, to check that
   * a failing shard fails the run. Unset in production.
   */
  TEST_SHARD_THROW: z.string().optional(),
  /**
   * Raw request records of runs that finished more than this many days ago are pruned by the cron
   * (summaries, results and history stay). 1 … 3,650 days.
   */
  RETENTION_DAYS: z.coerce.number().int().min(1).max(3_650).default(30),
  /**
   * The NAME of the secret (`wrangler secret put <NAME>`, or a `.dev.vars` line) holding the URL
   * regression alerts are POSTed to. Unset: alerts are stored but not sent (webhook_state `none`).
   */
  ALERT_WEBHOOK_SECRET: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]{0,99}$/, 'ALERT_WEBHOOK_SECRET must be a secret name (letters, digits, _)')
    .optional(),
  /** JSON of the built-in simulator's instance knobs (see src/core/sim/sim-config.ts). */
  SIM_CONFIG: z.string().optional(),
});
export type Settings = z.infer<typeof settingsSchema>;

const cache = new WeakMap<object, Settings>();

/** Parsed settings; throws (a configuration error, reported as 500 `misconfigured`) when invalid. */
export function settingsOf(env: Env): Settings {
  let settings = cache.get(env);
  if (!settings) {
    const parsed = settingsSchema.safeParse(env);
    if (!parsed.success)
      throw new MisconfiguredError(
        parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
      );
    settings = parsed.data;
    cache.set(env, settings);
  }
  return settings;
}

export class MisconfiguredError extends Error {
  override name = 'MisconfiguredError';
}

/** Names a run may use as `target.api_key_secret`: any string binding except fluidbench's own. */
const RESERVED_SECRET_NAMES = new Set(Object.keys(settingsSchema.shape));

/** The value of the secret a target names, or undefined when there is no such string binding. */
export function secretValue(env: Env, name: string): string | undefined {
  if (RESERVED_SECRET_NAMES.has(name)) return undefined;
  const value: unknown = (env as unknown as Record<string, unknown>)[name];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/**
 * The URL alerts are POSTed to, from the secret `name` names (default: the one ALERT_WEBHOOK_SECRET
 * names): `none` when no webhook is configured, `invalid` when the named secret is missing or not an
 * http(s) URL.
 */
export function alertWebhookUrl(
  env: Env,
  name: string | undefined = settingsOf(env).ALERT_WEBHOOK_SECRET,
): { url: string } | 'none' | 'invalid' {
  if (name === undefined) return 'none';
  const value = secretValue(env, name);
  if (value === undefined) return 'invalid';
  const parsed = z.url({ protocol: /^https?$/ }).safeParse(value);
  return parsed.success ? { url: parsed.data } : 'invalid';
}

// Every bound of the run configuration, in one place: the zod schemas use these constants, the
// README's run-configuration section and docs/config-bounds.md list them with the reason for each.
// A bound keeps one authenticated request from hanging or crashing the Worker (a prompt of 2^53
// tokens, a zipf over 2^53 ranks, an extra_body 3,000 levels deep) while staying above anything a
// real benchmark needs.

/** Inclusive numeric range of a config field. */
export interface NumberBound {
  min: number;
  max: number;
}

// ── token lengths ────────────────────────────────────────────────────────────────────────────────

/**
 * Prompt tokens per request. Context windows of 1M tokens are served today (2M was offered once).
 * A prompt is built as one word per token: measured in Node, a 1M-token prompt is a 5.8 MB string
 * and building it and its request body peaks at ~45 MB of heap; 2M tokens peaked at ~125 MB,
 * a whole Worker's 128 MB, and took a second of CPU.
 */
export const MAX_PROMPT_TOKENS = 1_000_000;
/**
 * Prompt tokens a shard may hold in flight: the largest prompt × the streams a shard is planned to
 * carry. A prompt is kept until its stream ends (~6 bytes a token), so 8M tokens are ~50 MB of
 * text, leaving room in a Worker's 128 MB: 32 streams of 250k tokens, or 8 of 1M.
 */
export const MAX_PROMPT_TOKENS_IN_FLIGHT_PER_SHARD = 8_000_000;
/**
 * Output tokens per request. A stream must end within timeouts.request_s (≤ 600 s): even at
 * 1,000 tokens/s that is 600k tokens, and the longest outputs offered today are ~128k.
 */
export const MAX_OUTPUT_TOKENS = 1_000_000;
/** Total (prompt + output) length of the synthetic generators and the trace cut. */
export const MAX_TOTAL_TOKENS = MAX_PROMPT_TOKENS + MAX_OUTPUT_TOKENS;
/** prefill_to_decode_ratio: past these, one side is always 1 token; beyond, the split overflows. */
export const PREFILL_TO_DECODE_RATIO: NumberBound = { min: 1e-6, max: 1e6 };
/** zipf exponent: real length distributions have exponents around 0.5–3. */
export const ZIPF_THETA: NumberBound = { min: 0.01, max: 10 };
/** prefill_scale / decode_scale of a length trace; scaled rows must still fit the token bounds. */
export const TRACE_SCALE: NumberBound = { min: 1e-6, max: 1_000 };
/** Rows of an inline length trace (the config's 1,000,000-character cap holds about this many). */
export const MAX_TRACE_ROWS = 100_000;

// ── arrivals ─────────────────────────────────────────────────────────────────────────────────────

/** Offered load: one request per ~3 h at the low end; 100k/s is above any single deployment. */
export const QPS: NumberBound = { min: 1e-4, max: 100_000 };
/** Gamma coefficient of variation: shape 1/cv² stays within [1e-4, 1e4], where sampling is exact. */
export const GAMMA_CV: NumberBound = { min: 0.01, max: 100 };
/** Arrival times of an inline trace, and their count. 1e6 s × time_scale 1e3 stays an exact integer µs. */
export const TRACE_TIME_S: NumberBound = { min: 0, max: 1_000_000 };
export const MAX_TRACE_TIMES = 100_000;
export const TRACE_TIME_SCALE: NumberBound = { min: 0.001, max: 1_000 };

// ── counts, durations, run shape ─────────────────────────────────────────────────────────────────

/** limits.max_concurrency, and closed-loop n (which must also be ≤ max_concurrency). */
export const CONCURRENCY: NumberBound = { min: 1, max: 100_000 };
/** limits.max_requests, workload.requests (warm-up included). */
export const REQUESTS: NumberBound = { min: 1, max: 10_000_000 };
/** limits.max_duration_s and workload.duration_s: one day. */
export const DURATION_S: NumberBound = { min: 0.001, max: 86_400 };
/** timeouts.request_s: a shard's alarm slice must drain its streams inside the 15-minute alarm limit. */
export const REQUEST_TIMEOUT_S: NumberBound = { min: 0.001, max: 600 };
/** timeouts.run_s: the longest run (one day) plus its request timeout and margin. */
export const RUN_TIMEOUT_S: NumberBound = { min: 1, max: 90_000 };
/** deadlines.ttft_s / tbt_s: at least 100 µs (scheduled in integer µs), at most a request timeout. */
export const DEADLINE_S: NumberBound = { min: 0.0001, max: 600 };
/** deadlines.profile_id: ids the API makes are ~30 characters. */
export const MAX_PROFILE_ID_CHARS = 100;
/** Knots of a piecewise-linear prefill predictor in a run config: one per profiled length (≤ 64), with room. */
export const MAX_PREDICTOR_KNOTS = 256;
/** regions[].share: relative, so only the ratio matters; 1e6:1 is finer than any request split. */
export const REGION_SHARE: NumberBound = { min: 0.001, max: 1_000 };
/** regions[].shards, and all shards of a run. */
export const SHARDS_PER_REGION: NumberBound = { min: 1, max: 64 };
export const MAX_SHARDS_PER_RUN = 256;
export const STREAMS_PER_SHARD: NumberBound = { min: 1, max: 1_000 };
/** workload.seed: a 32-bit unsigned integer. */
export const SEED: NumberBound = { min: 0, max: 0xffff_ffff };

// ── strings, lists, nested JSON ──────────────────────────────────────────────────────────────────

export const MAX_NAME_CHARS = 200;
/** Model names: Hugging Face ids and cloud model ARNs stay well below this. */
export const MAX_MODEL_CHARS = 512;
/** base_url: the common practical URL limit. */
export const MAX_URL_CHARS = 2_048;
/**
 * extra_body nesting depth (the object itself is level 1). OpenAI structured-output schemas may
 * nest 10 object levels, each two JSON levels (properties → field) below response_format →
 * json_schema → schema: 23. 32 leaves room; a few thousand levels overflow the stack when the
 * config is cloned to the coordinator.
 */
export const MAX_EXTRA_BODY_DEPTH = 32;
/** extra_body as JSON text: it is sent with every request; a large tool list or schema fits. */
export const MAX_EXTRA_BODY_CHARS = 131_072;
/** extra_headers: count, name and value length, and all names + values together. */
export const MAX_EXTRA_HEADERS = 64;
export const MAX_HEADER_NAME_CHARS = 256;
export const MAX_HEADER_VALUE_CHARS = 8_192;
export const MAX_EXTRA_HEADERS_CHARS = 32_768;

/** A stored run configuration, as JSON characters (D1 and Durable Object values are capped at 2 MB). */
export const MAX_CONFIG_CHARS = 1_000_000;
/** A POST body, before it is parsed: the config cap plus room for whitespace. */
export const MAX_REQUEST_BODY_BYTES = 2_000_000;
/** Nesting of a POST body, checked on the raw text before parsing: extra_body's cap plus the config's own levels. */
export const MAX_REQUEST_JSON_DEPTH = MAX_EXTRA_BODY_DEPTH + 8;

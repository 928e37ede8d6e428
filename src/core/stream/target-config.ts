import { z } from 'zod';
import {
  MAX_EXTRA_BODY_CHARS,
  MAX_EXTRA_BODY_DEPTH,
  MAX_EXTRA_HEADERS,
  MAX_EXTRA_HEADERS_CHARS,
  MAX_HEADER_NAME_CHARS,
  MAX_HEADER_VALUE_CHARS,
  MAX_MODEL_CHARS,
  MAX_URL_CHARS,
} from '../run/config-bounds.ts';

// The target a run measures: which protocol to speak, where, and which request options to add.
// Keys are snake_case like the rest of the run configuration.

/** Body keys the client owns: the adapter writes them, so a config must not override them. */
export const RESERVED_BODY_KEYS = [
  'model',
  'stream',
  'messages',
  'prompt',
  'max_tokens',
  'max_completion_tokens',
  // Anthropic, OpenAI Responses and Gemini: the prompt and length fields their adapters write.
  'input',
  'max_output_tokens',
  'contents',
] as const;

/** Headers the client owns (compared case-insensitively). */
export const RESERVED_HEADERS = [
  'authorization',
  'content-length',
  'host',
  'x-request-id',
  // Where Anthropic and Gemini take the key: only api_key_secret may fill them.
  'x-api-key',
  'x-goog-api-key',
] as const;

export const TARGET_APIS = [
  'openai-chat',
  'openai-completions',
  'anthropic-messages',
  'openai-responses',
  'gemini',
  'workers-ai',
  'bedrock-converse',
] as const;
export type TargetApi = (typeof TARGET_APIS)[number];

/** Native hosted APIs: they cannot be forced to an exact output length (no ignore_eos / min_tokens). */
export const HOSTED_APIS = [
  'anthropic-messages',
  'openai-responses',
  'gemini',
  'workers-ai',
  'bedrock-converse',
] as const;

// RFC 9110 token characters: `fetch` throws on anything else, which would fail every request.
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const HEADER_VALUE_FORBIDDEN = /[\r\n\0]/;

const baseUrlSchema = z
  .url({ protocol: /^https?$/, error: 'base_url must be an http:// or https:// URL' })
  .max(MAX_URL_CHARS)
  .check((ctx) => {
    if (!URL.canParse(ctx.value)) return; // already reported by the format check
    const url = new URL(ctx.value);
    if (url.username || url.password)
      ctx.issues.push({
        code: 'custom',
        input: ctx.value,
        message: 'base_url must not contain credentials: name a secret in api_key_secret instead',
      });
    if (url.hash)
      ctx.issues.push({ code: 'custom', input: ctx.value, message: 'base_url must not contain a #fragment' });
    // The run config is stored in D1 and shown in results: a key in the URL would be stored with it.
    for (const name of url.searchParams.keys())
      if (/key|token|secret|signature|password/i.test(name))
        ctx.issues.push({
          code: 'custom',
          input: ctx.value,
          message: `base_url must not carry a credential (query parameter "${name}"): name a secret in api_key_secret instead`,
        });
  })
  .describe(
    'API root such as https://api.openai.com/v1; the adapter appends /chat/completions or /completions ' +
      'to the path (a query string such as ?api-version=… is kept)',
  );

/**
 * Nesting depth of a JSON-like value (a scalar is 0, `{}` is 1), walked without recursion and
 * stopping once it passes `limit`: a value thousands of levels deep costs no stack and little time.
 */
export function nestingDepth(value: unknown, limit: number): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop()!;
    if (item === null || typeof item !== 'object') continue;
    if (depth + 1 > deepest) deepest = depth + 1;
    if (deepest > limit) return deepest;
    for (const child of Array.isArray(item) ? item : Object.values(item)) {
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
  return deepest;
}

const extraBodySchema = z
  .record(z.string(), z.unknown())
  .default({})
  .check((ctx) => {
    // Depth first: serialising a value thousands of levels deep would overflow the stack.
    const depth = nestingDepth(ctx.value, MAX_EXTRA_BODY_DEPTH);
    if (depth > MAX_EXTRA_BODY_DEPTH) {
      ctx.issues.push({
        code: 'custom',
        input: ctx.value,
        message: `extra_body nests more than ${MAX_EXTRA_BODY_DEPTH} levels deep`,
      });
      return;
    }
    const chars = JSON.stringify(ctx.value).length;
    if (chars > MAX_EXTRA_BODY_CHARS)
      ctx.issues.push({
        code: 'custom',
        input: ctx.value,
        message: `extra_body is ${chars} characters of JSON, above ${MAX_EXTRA_BODY_CHARS}`,
      });
    for (const key of RESERVED_BODY_KEYS) {
      if (Object.hasOwn(ctx.value, key))
        ctx.issues.push({
          code: 'custom',
          input: ctx.value,
          path: [key],
          message: `extra_body must not set "${key}": the client writes it (use model, max_tokens_field or the run's length settings)`,
        });
    }
  })
  .describe(
    'JSON fields merged into every request body (e.g. temperature, top_p, seed). ' +
      `Must not contain ${RESERVED_BODY_KEYS.join(', ')}. A stream_options object is merged with the client's.`,
  );

const extraHeadersSchema = z
  .record(z.string().max(MAX_HEADER_NAME_CHARS), z.string().max(MAX_HEADER_VALUE_CHARS))
  .default({})
  .check((ctx) => {
    const entries = Object.entries(ctx.value);
    if (entries.length > MAX_EXTRA_HEADERS)
      ctx.issues.push({
        code: 'custom',
        input: ctx.value,
        message: `extra_headers has ${entries.length} headers, at most ${MAX_EXTRA_HEADERS}`,
      });
    const chars = entries.reduce((sum, [name, value]) => sum + name.length + value.length, 0);
    if (chars > MAX_EXTRA_HEADERS_CHARS)
      ctx.issues.push({
        code: 'custom',
        input: ctx.value,
        message: `extra_headers are ${chars} characters in all, above ${MAX_EXTRA_HEADERS_CHARS}`,
      });
    for (const [name, value] of entries) {
      const lower = name.toLowerCase();
      if ((RESERVED_HEADERS as readonly string[]).includes(lower))
        ctx.issues.push({
          code: 'custom',
          input: ctx.value,
          path: [name],
          message:
            lower === 'authorization'
              ? 'extra_headers must not set authorization: name the secret holding the key in api_key_secret'
              : lower === 'x-api-key' || lower === 'x-goog-api-key'
                ? `extra_headers must not set ${lower}: name the secret holding the key in api_key_secret`
                : `extra_headers must not set "${name}": the client sets it`,
        });
      else if (!HEADER_NAME.test(name))
        ctx.issues.push({
          code: 'custom',
          input: ctx.value,
          path: [name],
          message: `"${name}" is not a valid HTTP header name`,
        });
      if (HEADER_VALUE_FORBIDDEN.test(value))
        ctx.issues.push({
          code: 'custom',
          input: ctx.value,
          path: [name],
          message: `header "${name}" must not contain CR, LF or NUL`,
        });
    }
  })
  .describe(
    `Extra HTTP headers for every request; must not set ${RESERVED_HEADERS.join(', ')} (case-insensitive). ` +
      'They override the defaults for content-type and accept.',
  );

const secretName = (field: string, example: string) =>
  z.string().regex(/^[A-Z][A-Z0-9_]{0,63}$/, `${field} must look like an env var name, e.g. ${example}`);

/** SigV4 credentials for Bedrock, as secret NAMES (never the values), and the signing region. */
const awsSchema = z
  .strictObject({
    region: z
      .string()
      .max(32)
      .regex(/^[a-z]{2}(-[a-z]+){1,3}-\d{1,2}$/, 'region must be an AWS region such as us-east-1')
      .describe(
        'AWS region the request is signed for (and, on AWS, the host bedrock-runtime.{region}.amazonaws.com)',
      ),
    access_key_id_secret: secretName('access_key_id_secret', 'AWS_ACCESS_KEY_ID').describe(
      'NAME of the secret holding the access key id',
    ),
    secret_access_key_secret: secretName('secret_access_key_secret', 'AWS_SECRET_ACCESS_KEY').describe(
      'NAME of the secret holding the secret access key',
    ),
    session_token_secret: secretName('session_token_secret', 'AWS_SESSION_TOKEN')
      .optional()
      .describe('NAME of the secret holding a session token (temporary credentials)'),
  })
  .describe('Bedrock only: sign requests with SigV4 (service bedrock) from these named secrets');

export const targetSchema = z
  .strictObject({
    api: z
      .enum(TARGET_APIS)
      .describe(
        'wire protocol: OpenAI Chat Completions (openai-chat) or legacy Completions (openai-completions), ' +
          'Anthropic Messages (anthropic-messages), OpenAI Responses (openai-responses), Gemini native streamGenerateContent (gemini), ' +
          'Workers AI native ai/run (workers-ai), Bedrock ConverseStream (bedrock-converse)',
      ),
    base_url: baseUrlSchema,
    model: z.string().min(1).max(MAX_MODEL_CHARS).describe('model name sent in the request body'),
    api_key_secret: z
      .string()
      .regex(/^[A-Z][A-Z0-9_]{0,63}$/, 'api_key_secret must look like an env var name, e.g. OPENAI_API_KEY')
      .optional()
      .describe(
        'NAME of the Worker secret / environment variable that holds the API key (e.g. OPENAI_API_KEY), ' +
          'never the key itself. The key is sent as "authorization: Bearer …" (x-api-key for anthropic-messages, ' +
          'x-goog-api-key for gemini, never in the URL) and is never stored or logged. ' +
          'Omit for targets without authentication.',
      ),
    extra_body: extraBodySchema,
    extra_headers: extraHeadersSchema,
    continuous_usage: z
      .boolean()
      .default(false)
      .describe(
        'send stream_options.continuous_usage_stats: true for cumulative usage on every chunk, the most ' +
          'exact per-chunk token counts. vLLM, SGLang and the fluidbench simulator support it; OpenAI may reject it',
      ),
    ignore_eos: z
      .boolean()
      .default(false)
      .describe(
        'send ignore_eos: true and min_tokens = max_tokens so every request generates exactly max_tokens ' +
          '(vLLM, SGLang, llama.cpp); closed APIs ignore or reject it',
      ),
    max_tokens_field: z
      .enum(['max_tokens', 'max_completion_tokens'])
      .default('max_tokens')
      .describe(
        'body field carrying the output length limit (OpenAI reasoning models need max_completion_tokens)',
      ),
    aws: awsSchema.optional(),
    ai_binding: secretName('ai_binding', 'AI')
      .optional()
      .describe(
        'workers-ai only: NAME of the Workers AI binding (wrangler.toml [ai] binding) to run the model through ' +
          'from the shard instead of the REST endpoint at base_url; traffic then stays inside Cloudflare',
      ),
  })
  .check((ctx) => {
    const t = ctx.value;
    const issue = (path: string, message: string) =>
      ctx.issues.push({ code: 'custom', input: t, path: [path], message });
    if (t.aws !== undefined && t.api !== 'bedrock-converse')
      issue('aws', 'aws is only for api bedrock-converse');
    if (t.api === 'bedrock-converse' && (t.aws === undefined) === (t.api_key_secret === undefined))
      issue(
        'aws',
        'bedrock-converse needs exactly one of aws (SigV4 credentials) or api_key_secret (a Bedrock API key)',
      );
    if (t.ai_binding !== undefined && t.api !== 'workers-ai')
      issue('ai_binding', 'ai_binding is only for api workers-ai');
  })
  .check((ctx) => {
    // Hosted native APIs have no way to force an output length or stream usage per chunk.
    if (!(HOSTED_APIS as readonly string[]).includes(ctx.value.api)) return;
    for (const key of ['ignore_eos', 'continuous_usage'] as const)
      if (ctx.value[key])
        ctx.issues.push({
          code: 'custom',
          input: ctx.value,
          path: [key],
          message: `${key} is not available with api "${ctx.value.api}": the provider offers no such option (docs/streaming.md#hosted-provider-apis)`,
        });
  })
  .describe('The inference endpoint a run measures.');

export type Target = z.infer<typeof targetSchema>;
export type TargetInput = z.input<typeof targetSchema>;

/** Validates a target, filling defaults. Throws one Error listing every issue. */
export function parseTarget(input: unknown): Target {
  const parsed = targetSchema.safeParse(input);
  if (!parsed.success) {
    throw new Error(`invalid target:\n${z.prettifyError(parsed.error)}`, { cause: parsed.error });
  }
  return parsed.data;
}

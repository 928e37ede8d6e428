import { type CapacityModel, createCapacityModel } from './capacity-model.ts';
import { asChatBody, type WireProtocol, wireRoute, wireWriter } from './sim-chat-protocols.ts';
import { type ChunkMeta, completionBody, STREAM_ERROR, usage } from './sim-chunks.ts';
import { mergeSimKnobs, type SimConfig } from './sim-config.ts';
import { chooseFault } from './sim-faults.ts';
import {
  type ChunkSink,
  chunkCount,
  type GenerationEnd,
  type GenerationPlan,
  runGeneration,
} from './sim-generation.ts';
import { type NativeContext, nativeCompletion } from './sim-native.ts';
import type { SimProtocol } from './sim-protocol.ts';
import { anthropicProtocol } from './sim-protocol-anthropic.ts';
import { geminiProtocol } from './sim-protocol-gemini.ts';
import { responsesProtocol } from './sim-protocol-responses.ts';
import { requestRandom } from './sim-random.ts';
import { type Endpoint, openAIError, parseSimRequest, type SimRequest } from './sim-request.ts';
import { type ChunkSentEvent, simStreamResponse } from './sim-stream-body.ts';

/** Hosted providers' protocols, chosen by the request's path (docs/streaming.md#the-simulator). */
const NATIVE_PROTOCOLS: readonly SimProtocol[] = [anthropicProtocol, responsesProtocol, geminiProtocol];

// A simulated OpenAI-compatible server (vLLM-like) as a Web-standard Request → Response handler,
// so the same code serves from a Worker and from Node. Clock, sleep and randomness are injected.
// Other wire protocols are chosen by path: Anthropic Messages, OpenAI Responses and Gemini's native
// stream (sim-native.ts), Workers AI `…/ai/run/{model}` and Bedrock `…/model/{modelId}/converse-stream`
// (sim-chat-protocols.ts). Every stream is written by its protocol's SimStreamWriter (sim-stream-writer.ts).

const SIM_MODEL_ID = 'fluidbench-sim';

export interface SimulatorOptions {
  config: SimConfig;
  nowMs: () => number;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Jitter and stall draws; defaults to a generator seeded per request. Faults always use the seed. */
  random?: () => number;
  /** The target's own send log: called right after each token-carrying chunk is enqueued. */
  onChunkSent?: (e: ChunkSentEvent) => void;
  /** How each request ended, as the target saw it (tests check the client classified it right). */
  onRequestEnd?: (e: RequestEndEvent) => void;
}

export interface RequestEndEvent {
  requestId: string;
  end: GenerationEnd | 'http_error' | 'rejected';
  status: number;
}

export interface SimulatorStats {
  /** Requests holding a sequence slot. */
  active: number;
  /** Requests waiting for a slot. */
  queued: number;
  /** Requests that ran to their normal end ([DONE] or the full JSON body). */
  completed: number;
  /** Requests refused with 429 because the queue was full. */
  rejected: number;
  /** Requests that got an injected fault (HTTP error, in-stream error or disconnect). */
  faulted: number;
  /** Requests whose client went away before the end. */
  aborted: number;
}

export interface Simulator {
  handle(request: Request): Promise<Response>;
  stats(): SimulatorStats;
}

function json(body: unknown, status: number, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });
}

export function createSimulator(options: SimulatorOptions): Simulator {
  const { config, nowMs } = options;
  const capacity: CapacityModel = createCapacityModel(config.capacity);
  const counts = { completed: 0, rejected: 0, faulted: 0, aborted: 0 };
  let requestIndex = 0;

  function authorized(request: Request): boolean {
    if (config.api_key === undefined) return true;
    return request.headers.get('authorization') === `Bearer ${config.api_key}`;
  }

  function models(): Response {
    return json(
      {
        object: 'list',
        data: [{ id: SIM_MODEL_ID, object: 'model', created: 0, owned_by: 'fluidbench' }],
      },
      200,
    );
  }

  function countEnd(end: GenerationEnd): void {
    if (end === 'done') counts.completed += 1;
    else if (end === 'aborted') counts.aborted += 1;
    else counts.faulted += 1;
  }

  async function completion(
    endpoint: Endpoint,
    request: Request,
    protocol: WireProtocol = 'openai',
    pathModel = '',
  ): Promise<Response> {
    const clientId = request.headers.get('x-request-id');
    const echo: Record<string, string> = clientId === null ? {} : { 'x-request-id': clientId };
    let body: unknown;
    try {
      body = await request.json();
    } catch {
      return json(
        openAIError('We could not parse the JSON body of your request.', 'invalid_request_error', null),
        400,
        echo,
      );
    }
    const parsed = parseSimRequest(endpoint, asChatBody(protocol, body, pathModel));
    if (!parsed.ok) return json(parsed.error, 400, echo);
    const req = parsed.request;
    const knobs = mergeSimKnobs(config, req.override);
    const index = requestIndex++;
    const requestId = clientId ?? `sim-${index}`;
    const idHeaders = { 'x-request-id': requestId };
    const chunks = chunkCount(req.maxTokens, knobs.tokens_per_chunk);
    const choice = chooseFault(config.seed, index, knobs, chunks);

    if (choice.httpStatus !== null) {
      counts.faulted += 1;
      const status = choice.httpStatus;
      options.onRequestEnd?.({ requestId, end: 'http_error', status });
      return json(
        openAIError(
          `simulated HTTP ${status}`,
          status === 429 ? 'rate_limit_error' : 'server_error',
          'simulated',
        ),
        status,
        status === 429 ? { ...idHeaders, 'retry-after': '1' } : idHeaders,
      );
    }
    if (!capacity.canAdmit()) {
      counts.rejected += 1;
      options.onRequestEnd?.({ requestId, end: 'rejected', status: 429 });
      return json(
        openAIError(
          'simulated server overloaded: the request queue is full',
          'rate_limit_error',
          'queue_full',
        ),
        429,
        { ...idHeaders, 'retry-after': '1' },
      );
    }

    const meta: ChunkMeta = {
      endpoint,
      id: `${endpoint === 'chat' ? 'chatcmpl' : 'cmpl'}-sim-${index}`,
      created: Math.floor(nowMs() / 1000),
      model: req.model,
    };
    const plan: GenerationPlan = {
      promptTokens: req.promptTokens,
      maxTokens: req.maxTokens,
      knobs,
      fault: choice.fault,
      faultAtChunk: choice.faultAtChunk,
    };
    const abort = new AbortController();
    const onClientGone = () => abort.abort(request.signal.reason);
    request.signal.addEventListener('abort', onClientGone, { once: true });
    if (request.signal.aborted) abort.abort(request.signal.reason);
    const deps = {
      capacity,
      nowMs,
      sleep: options.sleep,
      random: options.random ?? requestRandom(config.seed ^ 0x5bd1e995, index),
    };
    const run = (sink: ChunkSink) =>
      runGeneration(deps, plan, abort.signal, sink).finally(() =>
        request.signal.removeEventListener('abort', onClientGone),
      );
    // Workers AI and Bedrock always stream.
    if (protocol === 'openai' && !req.stream) return jsonResponse(req, meta, requestId, run);
    const writer = wireWriter(protocol, req, knobs, meta, nowMs);
    return simStreamResponse(writer, {
      requestId,
      abort,
      reasoningTokens: knobs.reasoning_tokens,
      nowMs,
      generate: run,
      onChunkSent: options.onChunkSent,
      onEnd: (end) => {
        countEnd(end);
        options.onRequestEnd?.({ requestId, end, status: 200 });
      },
    });
  }

  async function jsonResponse(
    req: SimRequest,
    meta: ChunkMeta,
    requestId: string,
    run: (sink: ChunkSink) => Promise<GenerationEnd>,
  ): Promise<Response> {
    const end = await run(() => {});
    countEnd(end);
    options.onRequestEnd?.({ requestId, end, status: 200 });
    const headers = { 'x-request-id': requestId };
    if (end === 'done') {
      options.onChunkSent?.({ requestId, index: 0, tokens: req.maxTokens, sentAtMs: nowMs() });
      return json(completionBody(meta, req.maxTokens, usage(req.promptTokens, req.maxTokens)), 200, headers);
    }
    if (end === 'in_stream') return json(STREAM_ERROR, 500, headers);
    if (end === 'disconnect') {
      // Headers, then the connection drops before the body.
      const body = new ReadableStream<Uint8Array>({
        start(c) {
          c.error(new Error('simulated disconnect'));
        },
      });
      return new Response(body, { status: 200, headers: { 'content-type': 'application/json', ...headers } });
    }
    // The client is gone; nobody reads this.
    return new Response(null, { status: 499, headers });
  }

  const native: NativeContext = {
    config,
    capacity,
    nowMs,
    sleep: options.sleep,
    ...(options.random ? { random: options.random } : {}),
    nextIndex: () => requestIndex++,
    ended(requestId, end, status) {
      if (end === 'http_error') counts.faulted += 1;
      else if (end === 'rejected') counts.rejected += 1;
      else countEnd(end);
      options.onRequestEnd?.({ requestId, end, status });
    },
    chunkSent: (e) => options.onChunkSent?.(e),
  };

  return {
    async handle(request) {
      const url = new URL(request.url);
      for (const protocol of NATIVE_PROTOCOLS) {
        const route = protocol.route(url);
        if (!route) continue;
        if (request.method !== 'POST')
          return json(protocol.errorBody(404, `Unknown request URL: ${request.method} ${url.pathname}`), 404);
        return nativeCompletion(native, protocol, route, request);
      }
      const path = url.pathname.replace(/\/+$/, '');
      const wire = wireRoute(path);
      const route = wire
        ? { method: 'POST', run: () => completion('chat', request, wire.protocol, wire.model) }
        : path.endsWith('/v1/chat/completions')
          ? { method: 'POST', run: () => completion('chat', request) }
          : path.endsWith('/v1/completions')
            ? { method: 'POST', run: () => completion('text', request) }
            : path.endsWith('/v1/models')
              ? { method: 'GET', run: async () => models() }
              : null;
      if (!route || route.method !== request.method) {
        return json(
          openAIError(
            `Unknown request URL: ${request.method} ${path}`,
            'invalid_request_error',
            'unknown_url',
          ),
          404,
        );
      }
      if (!authorized(request)) {
        return json(
          openAIError('Incorrect API key provided.', 'invalid_request_error', 'invalid_api_key'),
          401,
        );
      }
      return route.run();
    },
    stats() {
      return { active: capacity.active, queued: capacity.queued, ...counts };
    },
  };
}

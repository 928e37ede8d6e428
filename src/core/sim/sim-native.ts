import type { CapacityModel } from './capacity-model.ts';
import { mergeSimKnobs, type SimConfig } from './sim-config.ts';
import { chooseFault } from './sim-faults.ts';
import { chunkCount, type GenerationEnd, runGeneration } from './sim-generation.ts';
import type { SimProtocol, SimRoute } from './sim-protocol.ts';
import { requestRandom } from './sim-random.ts';
import { type ChunkSentEvent, simStreamResponse } from './sim-stream-body.ts';

// One request in a hosted provider's protocol (sim-protocol-*.ts), on the simulator's shared
// timeline, capacity and fault injection: the same knobs give the same timings in every protocol.
// Each chunk's tokens are split into reasoning (the first `reasoning_tokens` of the output) and answer.

export interface NativeContext {
  config: SimConfig;
  capacity: CapacityModel;
  nowMs: () => number;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
  nextIndex(): number;
  /** Counts a request that ended, by how (the simulator's stats). */
  ended(requestId: string, end: GenerationEnd | 'http_error' | 'rejected', status: number): void;
  chunkSent?: (e: ChunkSentEvent) => void;
}

function json(body: unknown, status: number, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });
}

export async function nativeCompletion(
  ctx: NativeContext,
  protocol: SimProtocol,
  route: SimRoute,
  request: Request,
): Promise<Response> {
  const { config } = ctx;
  const clientId = request.headers.get('x-request-id');
  const echo: Record<string, string> = clientId === null ? {} : { 'x-request-id': clientId };
  if (config.api_key !== undefined && !protocol.authorized(request.headers, config.api_key))
    return json(protocol.errorBody(401, 'invalid API key (simulated)'), 401, echo);
  let body: unknown;
  try {
    body = await request.json();
  } catch {
    return json(protocol.errorBody(400, 'the request body is not valid JSON'), 400, echo);
  }
  const parsed = protocol.parse(body, route);
  if (!parsed.ok) return json(protocol.errorBody(400, parsed.message), 400, echo);
  const req = parsed.request;
  const knobs = mergeSimKnobs(config, req.override);
  const index = ctx.nextIndex();
  const requestId = clientId ?? `sim-${index}`;
  const idHeaders = { 'x-request-id': requestId };
  const choice = chooseFault(config.seed, index, knobs, chunkCount(req.maxTokens, knobs.tokens_per_chunk));

  if (choice.httpStatus !== null) {
    const status = choice.httpStatus;
    ctx.ended(requestId, 'http_error', status);
    return json(
      protocol.errorBody(status, `simulated HTTP ${status}`),
      status,
      status === 429 ? { ...idHeaders, 'retry-after': '1' } : idHeaders,
    );
  }
  if (!ctx.capacity.canAdmit()) {
    const status = protocol.overloadedStatus;
    ctx.ended(requestId, 'rejected', status);
    return json(
      protocol.errorBody(status, 'simulated server overloaded: the request queue is full'),
      status,
      {
        ...idHeaders,
        'retry-after': '1',
      },
    );
  }

  const reasoningTotal = Math.min(knobs.reasoning_tokens, req.maxTokens);
  const writer = protocol.writer({
    index,
    model: req.model,
    promptTokens: req.promptTokens,
    outputTokens: req.maxTokens,
    reasoningTokens: reasoningTotal,
    showReasoning: req.showReasoning,
  });
  const abort = new AbortController();
  const onClientGone = () => abort.abort(request.signal.reason);
  request.signal.addEventListener('abort', onClientGone, { once: true });
  if (request.signal.aborted) abort.abort(request.signal.reason);

  const deps = {
    capacity: ctx.capacity,
    nowMs: ctx.nowMs,
    sleep: ctx.sleep,
    random: ctx.random ?? requestRandom(config.seed ^ 0x5bd1e995, index),
  };
  const plan = {
    promptTokens: req.promptTokens,
    maxTokens: req.maxTokens,
    knobs,
    fault: choice.fault,
    faultAtChunk: choice.faultAtChunk,
  };
  return simStreamResponse(writer, {
    requestId,
    abort,
    reasoningTokens: reasoningTotal,
    nowMs: ctx.nowMs,
    generate: (sink) =>
      runGeneration(deps, plan, abort.signal, sink).finally(() =>
        request.signal.removeEventListener('abort', onClientGone),
      ),
    onChunkSent: ctx.chunkSent,
    onEnd: (end) => ctx.ended(requestId, end, 200),
  });
}

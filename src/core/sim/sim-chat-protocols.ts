import { bedrockWriter } from './sim-bedrock-stream.ts';
import type { ChunkMeta } from './sim-chunks.ts';
import type { SimKnobs } from './sim-config.ts';
import { openAiWriter } from './sim-openai-stream.ts';
import type { SimRequest } from './sim-request.ts';
import type { SimStreamWriter } from './sim-stream-writer.ts';
import { workersAiWriter } from './sim-workers-ai-chunks.ts';

// The protocols whose requests the simulator reads as OpenAI chat requests (sim-request.ts):
// OpenAI chat and completions themselves, Workers AI `…/ai/run/{model}` and Bedrock
// `…/model/{modelId}/converse-stream`, each written by its own stream writer.

export type WireProtocol = 'openai' | 'workers-ai' | 'bedrock';

/** Workers AI `…/ai/run/{model}` (the model may contain slashes) and Bedrock `…/model/{id}/converse-stream`. */
export function wireRoute(path: string): { protocol: WireProtocol; model: string } | null {
  const run = path.indexOf('/ai/run/');
  if (run >= 0)
    return { protocol: 'workers-ai', model: decodeURIComponent(path.slice(run + '/ai/run/'.length)) };
  const bedrock = /\/model\/([^/]+)\/converse-stream$/.exec(path);
  if (bedrock?.[1]) return { protocol: 'bedrock', model: decodeURIComponent(bedrock[1]) };
  return null;
}

/** The Bedrock and Workers AI request bodies as the chat body the simulator validates. */
export function asChatBody(protocol: WireProtocol, body: unknown, model: string): unknown {
  if (protocol === 'openai' || typeof body !== 'object' || body === null || Array.isArray(body)) return body;
  const b = body as Record<string, unknown>;
  if (protocol === 'workers-ai') {
    const { prompt, ...rest } = b;
    return {
      ...rest,
      model,
      ...(rest.messages === undefined ? { messages: [{ role: 'user', content: prompt }] } : {}),
    };
  }
  const messages = Array.isArray(b.messages)
    ? b.messages.map((m: unknown) => {
        const msg = (typeof m === 'object' && m !== null ? m : {}) as Record<string, unknown>;
        const blocks = Array.isArray(msg.content) ? msg.content : [];
        return {
          role: msg.role,
          content: blocks.map((c: unknown) => ({
            type: 'text',
            text: (c as { text?: unknown } | null)?.text ?? '',
          })),
        };
      })
    : b.messages;
  const inference = (
    typeof b.inferenceConfig === 'object' && b.inferenceConfig !== null ? b.inferenceConfig : {}
  ) as {
    maxTokens?: unknown;
  };
  return {
    model,
    messages,
    max_tokens: inference.maxTokens,
    stream: true,
    ...(b.sim !== undefined ? { sim: b.sim } : {}),
  };
}

/** The stream writer of a protocol read as a chat request. */
export function wireWriter(
  protocol: WireProtocol,
  req: SimRequest,
  knobs: SimKnobs,
  meta: ChunkMeta,
  nowMs: () => number,
): SimStreamWriter {
  if (protocol === 'bedrock') return bedrockWriter(req.promptTokens, req.maxTokens, knobs, nowMs);
  if (protocol === 'workers-ai') return workersAiWriter(req.promptTokens, req.maxTokens);
  return openAiWriter(req, meta, nowMs);
}

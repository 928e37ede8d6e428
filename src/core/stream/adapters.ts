import { anthropicMessagesAdapter } from './anthropic-messages-adapter.ts';
import { bedrockConverseAdapter } from './bedrock-converse-adapter.ts';
import { geminiAdapter } from './gemini-adapter.ts';
import { openAiChatAdapter } from './openai-chat-adapter.ts';
import { openAiCompletionsAdapter } from './openai-completions-adapter.ts';
import { openAiResponsesAdapter } from './openai-responses-adapter.ts';
import type { TargetAdapter } from './target-adapter.ts';
import type { TargetApi } from './target-config.ts';
import { workersAiAdapter } from './workers-ai-adapter.ts';

/** One adapter per `target.api`; a new provider adds its adapter here and its name to TARGET_APIS. */
const ADAPTERS: { readonly [api in TargetApi]: TargetAdapter } = {
  'openai-chat': openAiChatAdapter,
  'openai-completions': openAiCompletionsAdapter,
  'workers-ai': workersAiAdapter,
  'bedrock-converse': bedrockConverseAdapter,
  'anthropic-messages': anthropicMessagesAdapter,
  'openai-responses': openAiResponsesAdapter,
  gemini: geminiAdapter,
};

export function adapterFor(api: TargetApi): TargetAdapter {
  const adapter = ADAPTERS[api];
  // Reachable only with unchecked input (the config schema limits `api`): bad configuration throws.
  if (!adapter) throw new Error(`no streaming adapter for api "${String(api)}"`);
  return adapter;
}

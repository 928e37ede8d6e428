import {
  type BuildRequestInput,
  type BuiltRequest,
  buildOpenAiRequest,
  type DecodedEvent,
  decodeOpenAiEvent,
  type EventDecoder,
  type TargetAdapter,
} from './target-adapter.ts';

// Legacy OpenAI Completions (`/v1/completions`), still served by vLLM, SGLang and llama.cpp: the
// raw prompt without a chat template, so prompt lengths are exact. Same usage chunk and end marker.

/** `choices[0].text`, '' when absent or null. */
export function completionPayload(choice: Record<string, unknown>): string {
  return typeof choice.text === 'string' ? choice.text : '';
}

class CompletionsEventDecoder implements EventDecoder {
  decode(data: string, event: string | undefined): DecodedEvent {
    return decodeOpenAiEvent(data, event, completionPayload);
  }
}

export const openAiCompletionsAdapter: TargetAdapter = {
  api: 'openai-completions',
  buildRequest(input: BuildRequestInput): BuiltRequest {
    return buildOpenAiRequest(input, '/completions', { prompt: input.prompt });
  },
  createEventDecoder: () => new CompletionsEventDecoder(),
};

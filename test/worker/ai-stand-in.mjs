// A stand-in for the Workers AI binding in the worker tests (the real binding cannot run offline:
// wrangler sends it to Cloudflare even locally). Bound to the test Worker as TEST_AI through a
// service binding to this entrypoint, so `env.TEST_AI.run(model, inputs)` is an RPC call, like the
// real binding's. It replays the documented stream shape: one OpenAI-style `reasoning_content`
// chunk, then `{"response": …}` events (with `p` padding) up to `max_tokens` tokens, the final
// `{"response": "", "usage": …}` and `data: [DONE]`, one event every 3 ms.
import { WorkerEntrypoint } from 'cloudflare:workers';

const enc = new TextEncoder();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export class AiStandIn extends WorkerEntrypoint {
  async run(model, inputs) {
    if (model === '@cf/stand-in/failing') throw new Error('3040: Capacity temporarily exceeded');
    const maxTokens = inputs.max_tokens;
    const prompt = inputs.messages.map((m) => m.content).join(' ');
    const promptTokens = prompt.split(/\s+/).filter(Boolean).length;
    const events = [{ choices: [{ index: 0, delta: { reasoning_content: ' hmm' }, finish_reason: null }] }];
    for (let i = 1; i < maxTokens; i++) events.push({ response: ' tok', p: 'abcdef' });
    events.push({
      response: '',
      usage: {
        prompt_tokens: promptTokens,
        completion_tokens: maxTokens,
        total_tokens: promptTokens + maxTokens,
      },
    });
    return new ReadableStream({
      async start(controller) {
        for (const e of events) {
          await sleep(3);
          controller.enqueue(enc.encode(`data: ${JSON.stringify(e)}\n\n`));
        }
        controller.enqueue(enc.encode('data: [DONE]\n\n'));
        controller.close();
      },
    });
  }
}

export default {
  fetch() {
    return new Response('AI stand-in: call run() through the TEST_AI binding', { status: 404 });
  },
};

// Workers AI through the `AI` binding (wrangler.toml `[ai] binding = "AI"`), from the shard: the
// traffic stays inside Cloudflare. The streaming loop speaks `fetch`, so the binding is wrapped as
// one: the request the workers-ai adapter built (`…/run/{model}`, the JSON body) becomes
// `env.AI.run(model, body)`, and the ReadableStream of SSE bytes it resolves to becomes the body
// of a 200 response, read and timed exactly like the REST stream. The send mark is taken before
// `run()` is called and "headers" when it resolves. The binding cannot run offline (wrangler
// sends it to Cloudflare even in `wrangler dev`); tests use a stand-in that replays the
// documented stream shapes (src/worker/workers-ai-binding.test.ts).

/** The part of the Workers AI binding fluidbench uses. */
export interface AiBinding {
  run(model: string, inputs: Record<string, unknown>): Promise<unknown>;
}

export function isAiBinding(value: unknown): value is AiBinding {
  return (
    typeof value === 'object' && value !== null && typeof (value as { run?: unknown }).run === 'function'
  );
}

/** The binding named `name` in the environment, or undefined when there is none. */
export function aiBindingOf(env: Env, name: string): AiBinding | undefined {
  const value: unknown = (env as unknown as Record<string, unknown>)[name];
  return isAiBinding(value) ? value : undefined;
}

function abortError(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The operation was aborted', 'AbortError');
}

/** A `fetch` that runs the request on the binding; aborting the signal stops the call and the stream. */
export function aiBindingFetch(ai: AiBinding): typeof fetch {
  return (async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
    const at = url.pathname.indexOf('/run/');
    if (at < 0) throw new TypeError(`not a Workers AI run URL: ${url.pathname}`);
    const model = decodeURIComponent(url.pathname.slice(at + '/run/'.length));
    const inputs = JSON.parse(String(init?.body ?? '{}')) as Record<string, unknown>;
    const signal = init?.signal ?? undefined;
    if (signal?.aborted) throw abortError(signal);
    let output: unknown;
    try {
      const running = ai.run(model, inputs);
      output = signal
        ? await Promise.race([
            running,
            new Promise<never>((_, reject) =>
              signal.addEventListener('abort', () => reject(abortError(signal)), { once: true }),
            ),
          ])
        : await running;
    } catch (err) {
      if (signal?.aborted) throw err;
      // The binding throws its errors (capacity, bad input, an upstream failure) instead of
      // answering with a status: recorded as an HTTP 500 with the error's name and message.
      const e = err instanceof Error ? err : new Error(String(err));
      return new Response(JSON.stringify({ error: { type: e.name, message: e.message } }), {
        status: 500,
        statusText: 'AI binding error',
        headers: { 'content-type': 'application/json' },
      });
    }
    if (!(output instanceof ReadableStream)) {
      // Not a stream (a model without streaming): the loop records it as a stream without events.
      return new Response(JSON.stringify(output ?? null), {
        status: 200,
        headers: { 'content-type': 'application/json' },
      });
    }
    const stream = output as ReadableStream<Uint8Array>;
    // The loop aborts its fetch signal on timeout or cancel: here that must stop the body too.
    const body = signal
      ? stream.pipeThrough(new TransformStream<Uint8Array, Uint8Array>(), { signal })
      : stream;
    return new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } });
  }) as typeof fetch;
}

import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CliError, EXIT_BAD_INPUT } from './cli-error.ts';
import { readSearchRequest } from './search-command.ts';

// `fluidbench search --config F` checks the request as the API will before sending anything.

async function file(text: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'fluidbench-search-'));
  const name = path.join(dir, 'search.jsonc');
  await writeFile(name, text);
  return name;
}

describe('search --config', () => {
  it('reads the example (JSONC) as a valid request', async () => {
    const body = await readSearchRequest(
      path.join(import.meta.dirname, '../../examples/search-local-sim.jsonc'),
    );
    expect(body).toMatchObject({ settings: { dimension: 'concurrency' } });
  });

  it('names every invalid field, exit 2', async () => {
    const name = await file(`{
      // a template may not set arrivals: the search does
      "template": { "target": { "api": "openai-chat", "base_url": "http://127.0.0.1:1/v1", "model": "m" },
        "workload": { "lengths": { "type": "fixed", "prompt_tokens": 8, "output_tokens": 8 }, "arrivals": {} } },
      "settings": { "dimension": "rps", "slo": { "type": "deadline" } },
    }`);
    const error = await readSearchRequest(name).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).exitCode).toBe(EXIT_BAD_INPUT);
    const message = (error as CliError).message;
    expect(message).toContain('template.workload');
    expect(message).toContain('settings.dimension');
    expect(message).toContain('settings.slo.profile_id');
  });
});

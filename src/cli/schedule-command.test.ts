import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliError, EXIT_BAD_INPUT } from './cli-error.ts';
import { scheduleAddCommand } from './schedule-command.ts';

let dir = '';
let config = '';
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'fluidbench-schedule-'));
  config = path.join(dir, 'run.json');
  await writeFile(
    config,
    JSON.stringify({
      target: { api: 'openai-chat', base_url: 'http://127.0.0.1:1/v1', model: 'm' },
      workload: {
        arrivals: { type: 'constant', qps: 1 },
        lengths: { type: 'fixed', prompt_tokens: 16, output_tokens: 6 },
        requests: 1,
      },
    }),
  );
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('fluidbench schedule add', () => {
  // The URL points at a closed port: a refusal must come before any request is sent.
  const flags = { name: 'n', cron: '0 3 * * *', timezone: 'UTC', url: 'http://127.0.0.1:1' };

  async function refusal(overrides: Record<string, string>): Promise<CliError> {
    const error = await scheduleAddCommand({ ...flags, config: [config], ...overrides }, () => {}).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CliError);
    return error as CliError;
  }

  it('refuses a bad cron expression locally, naming `cron` (exit 2)', async () => {
    const error = await refusal({ cron: '0 25 * * *' });
    expect(error.exitCode).toBe(EXIT_BAD_INPUT);
    expect(error.message).toMatch(/^\s+cron: /m);
  });

  it('refuses an unknown time zone locally, naming `timezone` (exit 2)', async () => {
    const error = await refusal({ timezone: 'Europe/Atlantis' });
    expect(error.exitCode).toBe(EXIT_BAD_INPUT);
    expect(error.message).toMatch(/^\s+timezone: /m);
  });
});

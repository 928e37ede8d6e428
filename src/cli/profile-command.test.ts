import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ProfileDetail, profileDetailSchema } from '../core/api/profile-api-schemas.ts';
import { predictPrefillS } from '../core/profile/prefill-predictor.ts';
import { loadPrefillProfile } from '../core/profile/prefill-profile-file.ts';
import { fitProfile } from '../core/profile/profile-fit.ts';
import { profileRequestSchema } from '../core/profile/profile-request.ts';
import { CliError, EXIT_BAD_INPUT, EXIT_BUG } from './cli-error.ts';
import { formatProfile, reportProfile } from './profile-command.ts';
import { readProfileRequest } from './read-profile-request.ts';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'fluidbench-profile-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const target = { api: 'openai-chat', base_url: 'http://127.0.0.1:1/v1', model: 'm' };

/** A done profile as the API answers it, fitted to prefill = 10 ms + 0.1 ms/token. */
function doneProfile(): ProfileDetail {
  const lengths = [256, 1024, 4096];
  const fitted = fitProfile(
    lengths.flatMap((l, j) =>
      [0, 1, 2].map((s) => ({
        id: `r${j}-${s}`,
        sent_at_ms: 0,
        prompt_tokens: l,
        output_tokens: 1,
        chunks: [[10 + 0.1 * l + s, 1] as const],
        token_count_source: 'usage_stream' as const,
        outcome: 'ok' as const,
      })),
    ),
  );
  if (!fitted.ok) throw new Error(fitted.reason);
  return profileDetailSchema.parse({
    id: 'prof-1',
    name: null,
    state: 'done',
    reason: 'fitted to 3 prompt lengths',
    run_id: 'prof-1-run',
    created_at_ms: 0,
    finished_at_ms: 1,
    request: profileRequestSchema.parse({ target, prompt_lengths: lengths }),
    lengths,
    expected_requests: 9,
    profile: fitted.profile.file,
    min_ttft_per_length: fitted.profile.minima,
    fit: fitted.profile.fit,
    links: {},
  });
}

describe('fluidbench profile', () => {
  it('refuses a bad request file locally, naming each field with its line (exit 2)', async () => {
    const file = path.join(dir, 'bad.jsonc');
    await writeFile(
      file,
      `{\n  // comment\n  "target": ${JSON.stringify(target)},\n  "samples_per_length": 2,\n  "context_tokens": 100,\n}\n`,
    );
    const error = await readProfileRequest(file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).exitCode).toBe(EXIT_BAD_INPUT);
    expect((error as CliError).message).toMatch(/samples_per_length[\s\S]*line 4/);
    const ok = path.join(dir, 'ok.jsonc');
    await writeFile(ok, `{ "target": ${JSON.stringify(target)}, "context_tokens": 1000, }`);
    expect((await readProfileRequest(ok)).request.prompt_lengths).toHaveLength(7);
  });

  it('--out writes the file analyze --prefill-profile reads, with the predictor as fitted', async () => {
    const profile = doneProfile();
    const out = path.join(dir, 'profile.json');
    const printed: string[] = [];
    await reportProfile(profile, { json: false, out: (t) => printed.push(t), file: out });
    const loaded = loadPrefillProfile(JSON.parse(await readFile(out, 'utf8')));
    expect(loaded.predictorSource).toBe('stored');
    expect(loaded.predictor).toEqual(profile.profile!.predictor);
    expect(predictPrefillS(loaded.predictor, 2048)).toBeCloseTo(0.2148, 3);
    expect(printed.join('')).toMatch(/4096 +│ 3 +│ 0\.4196/);
    expect(formatProfile(profile)).toMatch(/fit error: max/);
  });

  it('exits 1 with the reason when the profile did not end done, and writes nothing', async () => {
    const failed = {
      ...doneProfile(),
      state: 'failed' as const,
      reason: 'the profile run failed: x',
      profile: null,
    };
    const out = path.join(dir, 'never.json');
    const error = await reportProfile(failed, { json: true, out: () => undefined, file: out }).catch(
      (e: unknown) => e,
    );
    expect((error as CliError).exitCode).toBe(EXIT_BUG);
    expect((error as CliError).message).toBe('profile prof-1 failed: the profile run failed: x');
    await expect(readFile(out)).rejects.toThrow();
  });
});

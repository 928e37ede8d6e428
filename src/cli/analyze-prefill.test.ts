import { describe, it } from 'vitest';
import { predictPrefillUs } from '../core/profile/prefill-predictor.ts';
import { loadPrefillProfile } from '../core/profile/prefill-profile-file.ts';
import {
  analyze,
  B,
  expectBadInput,
  expectOk,
  type Json,
  jsonl,
  RECORDS,
  scratchDir,
} from './analyze-test-kit.ts';

const { file } = scratchDir();

describe.concurrent('fluidbench analyze --prefill-profile', () => {
  const PROFILE = {
    samples: [
      { prompt_tokens: 256, ttft_s: 0.05 },
      { prompt_tokens: 4096, ttft_s: 0.6 },
    ],
  };

  it('makes each TTFT deadline the predicted prefill plus the slack', async ({ expect }) => {
    const profile = await file('profile.json', JSON.stringify(PROFILE));
    // One token each, so the only deadlines are the first token's; 8192 tokens is beyond the
    // profile (extrapolated), 100 below it.
    const records = [
      { ...B, id: 'short', prompt_tokens: 100, chunks: [[250, 1]] },
      { ...B, id: 'mid', prompt_tokens: 1000, chunks: [[250, 1]] },
      { ...B, id: 'long', prompt_tokens: 8192, chunks: [[1000, 1]] },
    ];
    const run = await analyze(
      await file('profiled.jsonl', jsonl(records)),
      '--json',
      '--prefill-profile',
      profile,
      '--ttft-slack',
      '0.2',
    );
    expectOk(expect, run);
    const out: Json = JSON.parse(run.stdout);
    expect(out.summary.deadlines).toEqual({
      ttft_deadline_s: null,
      ttft_deadline_source: 'prefill_predictor',
      ttft_slack_s: 0.2,
      tbt_deadline_s: 0.05,
      target_miss_rate: 0.1,
    });
    const { predictor } = loadPrefillProfile(PROFILE);
    let missed = 0;
    records.forEach((record, i) => {
      const deadlineUs = predictPrefillUs(predictor, record.prompt_tokens) + 200_000;
      const ttftUs = record.chunks[0]![0]! * 1000;
      const row: Json = out.requests[i];
      expect(row.id).toBe(record.id);
      expect(row.ttft_deadline_s).toBe(deadlineUs / 1e6);
      const late = ttftUs > deadlineUs ? 1 + Math.floor((ttftUs - deadlineUs) / 50_000) : 0;
      expect(row.missed_deadlines).toBe(late);
      missed += late;
    });
    // The predictor grows with the prompt: the short prompt's 0.25 s TTFT is late, the long
    // prompt's 1 s TTFT is on time (a fixed 0.3 s deadline would charge it 15 misses).
    expect(out.requests.map((r: Json) => r.missed_deadlines > 0)).toEqual([true, false, false]);
    expect(out.service_level.missed_deadlines).toBe(missed);
  });

  it('an invalid profile names the field', async ({ expect }) => {
    const profile = await file(
      'bad-profile.json',
      JSON.stringify({
        samples: [
          { prompt_tokens: 0, ttft_s: 0.05 },
          { prompt_tokens: 4096, ttft_s: 'slow' },
        ],
      }),
    );
    const run = await analyze(
      await file('for-bad-profile.json', JSON.stringify(RECORDS)),
      '--prefill-profile',
      profile,
    );
    expectBadInput(
      expect,
      run,
      /prefill profile .*bad-profile\.json: /,
      /samples\[0\]\.prompt_tokens/,
      /samples\[1\]\.ttft_s/,
    );
  });

  it('a profile that is not JSON, and --ttft-deadline with a profile', async ({ expect }) => {
    const input = await file('for-profile-errors.json', JSON.stringify(RECORDS));
    const [notJson, conflict] = await Promise.all([
      analyze(input, '--prefill-profile', await file('profile.txt', 'samples: 256 0.05')),
      analyze(
        input,
        '--prefill-profile',
        await file('ok-profile.json', JSON.stringify(PROFILE)),
        '--ttft-deadline',
        '0.5',
      ),
    ]);
    expectBadInput(expect, notJson, /prefill profile .*profile\.txt: invalid JSON/);
    expectBadInput(expect, conflict, /--ttft-deadline: conflicts with --prefill-profile/);
  });
});

import { describe, expect, it } from 'vitest';
import { Analyzer } from '../metrics/analysis.ts';
import type { RequestRecord } from '../record/request-record.ts';
import { deadlineOptionsOf, prefillPredictorOf, runConfigSchema } from '../run/run-config.ts';
import { limitIssues, planRun } from '../run/run-plan.ts';
import { createLengthSampler } from '../workload/lengths.ts';
import { createRandom } from '../workload/seeded-random.ts';
import { predictPrefillUs } from './prefill-predictor.ts';
import { prefillProfileFileSchema } from './prefill-profile.ts';
import { loadPrefillProfile } from './prefill-profile-file.ts';
import { fitProfile } from './profile-fit.ts';
import {
  DEFAULT_PROFILE_LENGTHS,
  profiledLengths,
  profileRequestSchema,
  profileRunConfig,
} from './profile-request.ts';

const target = { api: 'openai-chat', base_url: 'http://127.0.0.1:1/v1', model: 'm' };

function issuesOf(input: unknown): string[] {
  const result = profileRequestSchema.safeParse(input);
  return result.success ? [] : result.error.issues.map((i) => i.path.join('.'));
}

describe('profileRequestSchema', () => {
  it('defaults to 256…16384, 3 samples, 16 output tokens', () => {
    const r = profileRequestSchema.parse({ target });
    expect(r.prompt_lengths).toEqual([256, 512, 1024, 2048, 4096, 8192, 16384]);
    expect(
      DEFAULT_PROFILE_LENGTHS.every((l, i) => i === 0 || l === 2 * DEFAULT_PROFILE_LENGTHS[i - 1]!),
    ).toBe(true);
    expect([r.samples_per_length, r.output_tokens]).toEqual([3, 16]);
  });

  it('drops lengths above context − output, and refuses when none remain', () => {
    const r = profileRequestSchema.parse({ target, context_tokens: 4096 });
    expect(profiledLengths(r)).toEqual([256, 512, 1024, 2048]); // 4096 + 16 > 4096
    expect(profiledLengths(profileRequestSchema.parse({ target, context_tokens: 4112 }))).toContain(4096);
    expect(issuesOf({ target, context_tokens: 200 })).toEqual(['context_tokens']);
  });

  it('bounds every field, naming it', () => {
    expect(issuesOf({ target, samples_per_length: 2 })).toEqual(['samples_per_length']);
    expect(issuesOf({ target, samples_per_length: 51 })).toEqual(['samples_per_length']);
    expect(issuesOf({ target, output_tokens: 0 })).toEqual(['output_tokens']);
    expect(issuesOf({ target, prompt_lengths: [] })).toEqual(['prompt_lengths']);
    expect(issuesOf({ target, prompt_lengths: Array.from({ length: 65 }, (_, i) => i + 1) })).toEqual([
      'prompt_lengths',
    ]);
    expect(issuesOf({ target, prompt_lengths: [256, 2_000_000] })).toEqual(['prompt_lengths.1']);
    expect(issuesOf({ target, prompt_lengths: [256, 512, 256] })).toEqual(['prompt_lengths.2']);
    expect(issuesOf({ target, region: 'mars' })).toEqual(['region']);
    expect(issuesOf({ target, bogus: 1 })).toEqual(['']);
  });
});

describe('profileRunConfig', () => {
  it('is a closed loop of one stream cycling the lengths, lengths × samples requests, within the plan checks', () => {
    const request = profileRequestSchema.parse({
      target,
      prompt_lengths: [1024, 256, 512],
      samples_per_length: 4,
    });
    const config = profileRunConfig(request);
    expect(config.workload.arrivals).toEqual({ type: 'concurrency', n: 1 });
    expect(config.workload.requests).toBe(12);
    const sample = createLengthSampler(config.workload.lengths, createRandom(1));
    const prompts = Array.from({ length: 12 }, (_, i) => sample(i).promptTokens);
    expect(prompts).toEqual([256, 512, 1024, 256, 512, 1024, 256, 512, 1024, 256, 512, 1024]);
    expect(sample(12).outputTokens).toBe(16);
    const plan = planRun(config);
    expect(plan.shards).toHaveLength(1);
    expect(limitIssues(config, plan)).toEqual([]);
  });

  it('names the run after the model, within the name bound', () => {
    const long = profileRequestSchema.parse({ target: { ...target, model: 'm'.repeat(512) } });
    expect(profileRunConfig(long).name).toHaveLength(200);
  });

  it('keeps the in-flight prompt check at the longest prompt', () => {
    const config = profileRunConfig(profileRequestSchema.parse({ target, prompt_lengths: [1_000_000] }));
    expect(limitIssues(config, planRun(config))).toEqual([]);
  });
});

/** A record whose first token came `ttftMs` after the send. */
function record(
  i: number,
  prompt: number,
  ttftMs: number,
  outcome: RequestRecord['outcome'] = 'ok',
): RequestRecord {
  return {
    id: `r${i}`,
    sent_at_ms: 1_000 + i,
    prompt_tokens: prompt,
    output_tokens: 3,
    chunks:
      outcome === 'ok'
        ? [
            [ttftMs, 1],
            [ttftMs + 10, 2],
          ]
        : [],
    token_count_source: 'usage_stream',
    outcome,
  };
}

describe('fitProfile', () => {
  // prefill = 20 ms + 50 µs/token (the simulator's defaults); each sample adds 0–3 ms of noise.
  const lengths = [256, 512, 1024, 2048, 4096];
  const records = lengths.flatMap((l, j) =>
    [0, 1, 2].map((s) => record(j * 3 + s, l, 20 + 0.05 * l + ((j + s) % 4))),
  );

  it('fits the minimum TTFT per length; the file is what analyze --prefill-profile reads', () => {
    const fitted = fitProfile([...records, record(99, 256, 1, 'http_error')]);
    if (!fitted.ok) throw new Error(fitted.reason);
    const { file, minima, fit } = fitted.profile;
    expect(minima.map((m) => m.prompt_tokens)).toEqual(lengths);
    expect(minima[0]!.ttft_s).toBeCloseTo(0.0328, 9); // 20 + 12.8 ms, noise 0 at (0,0)
    expect(file.samples).toHaveLength(15); // the failed request is not a sample
    expect(prefillProfileFileSchema.parse(JSON.parse(JSON.stringify(file)))).toEqual(file);
    expect(loadPrefillProfile(JSON.parse(JSON.stringify(file))).predictorSource).toBe('stored');
    // The noise is at most 3 ms, so the fit is within it at every length.
    expect(fit.max_abs_error_s).toBeLessThanOrEqual(0.003);
    for (const l of [256, 8192])
      expect(Math.abs(predictPrefillUs(file.predictor!, l) - (20_000 + 50 * l))).toBeLessThan(
        3_000 + (l > 4096 ? 0.01 * 50 * l : 0),
      );
  });

  it('says why when nothing succeeded', () => {
    const fitted = fitProfile([record(0, 256, 0, 'timeout')]);
    expect(fitted.ok).toBe(false);
  });
});

describe('deadlines from a profile in a run config', () => {
  const base = {
    target,
    workload: {
      arrivals: { type: 'constant', qps: 1 },
      lengths: { type: 'fixed', prompt_tokens: 8, output_tokens: 2 },
      requests: 1,
    },
  };

  it('refuses a slack or a predictor without profile_id, naming them', () => {
    const paths = (deadlines: unknown) => {
      const result = runConfigSchema.safeParse({ ...base, deadlines });
      return result.success ? [] : result.error.issues.map((i) => i.path.join('.'));
    };
    expect(paths({ ttft_slack_s: 0.1 })).toEqual(['deadlines.ttft_slack_s']);
    expect(paths({ profile_id: 'a b' })).toEqual(['deadlines.profile_id']);
    expect(paths({ profile_id: 'p', ttft_slack_s: 601 })).toEqual(['deadlines.ttft_slack_s']);
    expect(paths({ profile_id: 'p', ttft_slack_s: 0.1 })).toEqual([]);
  });

  it('judges each request against predicted prefill + slack', () => {
    const fitted = fitProfile(
      [256, 1024, 4096].flatMap((l, j) => [0, 1, 2].map((s) => record(j * 3 + s, l, 20 + 0.05 * l))),
    );
    if (!fitted.ok) throw new Error(fitted.reason);
    const predictor = fitted.profile.file.predictor!;
    const config = runConfigSchema.parse({
      ...base,
      deadlines: { profile_id: 'prof-1', ttft_slack_s: 0.1, prefill_predictor: predictor },
    });
    const analyzer = new Analyzer({
      deadlines: deadlineOptionsOf(config),
      prefillPredictor: prefillPredictorOf(config)!,
      keepRequests: true,
    });
    // 4096 tokens: predicted 224.8 ms + 100 ms slack = 324.8 ms.
    analyzer.add(record(0, 4096, 300));
    analyzer.add(record(1, 4096, 350));
    const report = analyzer.report();
    expect(report.requests.map((r) => r.ttft_deadline_s)).toEqual([0.3248, 0.3248]);
    expect(report.requests.map((r) => r.missed_deadlines > 0)).toEqual([false, true]);
    expect(report.summary.deadlines).toMatchObject({
      ttft_deadline_source: 'prefill_predictor',
      ttft_slack_s: 0.1,
    });
    expect(report.summary.deadlines.prefill_predictor).toEqual(predictor);
  });
});

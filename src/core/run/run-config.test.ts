import { describe, expect, it } from 'vitest';
import { deadlineOptionsSchema } from '../metrics/deadline-options.ts';
import {
  DEFAULT_STREAMS_PER_SHARD,
  deadlineOptionsOf,
  LOCATION_HINTS,
  limitsSchema,
  type RunConfigInput,
  runConfigSchema,
  runDeadlinesSchema,
  timeoutsSchema,
} from './run-config.ts';

const minimal: RunConfigInput = {
  target: { api: 'openai-chat', base_url: 'https://api.example.com/v1', model: 'm' },
  workload: {
    arrivals: { type: 'constant', qps: 10 },
    lengths: { type: 'fixed', prompt_tokens: 10, output_tokens: 20 },
    requests: 100,
  },
};

function issuesOf(input: unknown) {
  const parsed = runConfigSchema.safeParse(input);
  expect(parsed.success).toBe(false);
  return parsed.error?.issues ?? [];
}

describe('runConfigSchema defaults', () => {
  it('fills deadlines, timeouts, limits, streams_per_shard and regions', () => {
    const config = runConfigSchema.parse(minimal);
    // The object-level defaults are separate literals from the field defaults: they must agree.
    expect(config.deadlines).toEqual(runDeadlinesSchema.parse({}));
    expect(config.timeouts).toEqual(timeoutsSchema.parse({}));
    expect(config.limits).toEqual(limitsSchema.parse({}));
    expect(config.streams_per_shard).toBe(DEFAULT_STREAMS_PER_SHARD);
    expect(config.regions).toEqual([{ location: 'wnam', share: 1 }]);
    expect(config.timeouts.request_s).toBeGreaterThan(0);
    expect(config.limits.max_requests).toBeGreaterThanOrEqual(1);
    // Nested defaults of the parts are applied too.
    expect(config.workload.seed).toBeTypeOf('number');
    expect(config.target.extra_body).toEqual({});
  });

  it('fills the missing fields of a partly given object', () => {
    const config = runConfigSchema.parse({
      ...minimal,
      deadlines: { ttft_s: 2 },
      timeouts: { run_s: 60 },
      limits: { max_requests: 5 },
      regions: [{ location: 'weur' }, { location: 'apac', share: 3, shards: 2 }],
    });
    expect(config.deadlines).toEqual({ ...runDeadlinesSchema.parse({}), ttft_s: 2 });
    expect(config.timeouts).toEqual({ ...timeoutsSchema.parse({}), run_s: 60 });
    expect(config.limits).toEqual({ ...limitsSchema.parse({}), max_requests: 5 });
    expect(config.regions).toEqual([
      { location: 'weur', share: 1 },
      { location: 'apac', share: 3, shards: 2 },
    ]);
  });

  it('does not share the default regions array between parses', () => {
    const a = runConfigSchema.parse(minimal);
    a.regions.push({ location: 'apac', share: 1 });
    expect(runConfigSchema.parse(minimal).regions).toHaveLength(1);
  });
});

describe('runConfigSchema rejections', () => {
  it('rejects an unknown top-level key', () => {
    const issues = issuesOf({ ...minimal, concurrency: 4 });
    expect(issues).toHaveLength(1);
    expect(issues[0]?.code).toBe('unrecognized_keys');
    expect(JSON.stringify(issues[0])).toContain('concurrency');
  });

  it('reports every mistake at once, each with its path', () => {
    const issues = issuesOf({
      ...minimal,
      target: { ...minimal.target, model: '' },
      workload: { ...minimal.workload, requests: 0 },
      regions: [{ location: 'wnam' }, { location: 'mars', share: -1 }],
      streams_per_shard: 0,
      deadlines: { tbt_s: -0.1 },
      timeouts: { request_s: 10_000 },
      limits: { max_concurrency: 1.5 },
      unknown_key: true,
    });
    const paths = issues.map((issue) => issue.path.join('.'));
    expect(paths).toEqual(
      expect.arrayContaining([
        'target.model',
        'workload.requests',
        'regions.1.location',
        'regions.1.share',
        'streams_per_shard',
        'deadlines.tbt_s',
        'timeouts.request_s',
        'limits.max_concurrency',
      ]),
    );
    expect(issues.some((issue) => issue.code === 'unrecognized_keys')).toBe(true);
  });

  it('rejects location hints outside the list and accepts each listed one', () => {
    for (const location of ['us-east-1', 'WNAM', 'eu', '']) {
      const issues = issuesOf({ ...minimal, regions: [{ location }] });
      expect(issues.map((issue) => issue.path)).toEqual([['regions', 0, 'location']]);
    }
    for (const location of LOCATION_HINTS)
      expect(runConfigSchema.safeParse({ ...minimal, regions: [{ location }] }).success).toBe(true);
  });

  it('rejects an empty region list and a region with zero shards', () => {
    expect(issuesOf({ ...minimal, regions: [] }).map((i) => i.path)).toEqual([['regions']]);
    expect(issuesOf({ ...minimal, regions: [{ location: 'oc', shards: 0 }] }).map((i) => i.path)).toEqual([
      ['regions', 0, 'shards'],
    ]);
  });
});

describe('deadlineOptionsOf', () => {
  it('carries the run deadlines into the metrics core', () => {
    const config = runConfigSchema.parse({
      ...minimal,
      deadlines: { ttft_s: 1.5, tbt_s: 0.02, target_miss_rate: 0.25 },
    });
    const options = deadlineOptionsOf(config);
    expect(options).toMatchObject({ ttft_deadline_s: 1.5, tbt_deadline_s: 0.02, target_miss_rate: 0.25 });
    expect(deadlineOptionsSchema.safeParse(options).success).toBe(true);
  });

  it('defaults match the metrics core’s own defaults', () => {
    expect(deadlineOptionsOf(runConfigSchema.parse(minimal))).toEqual(deadlineOptionsSchema.parse({}));
  });
});

describe('nested objects are strict too', () => {
  it('rejects a misspelt key inside regions, deadlines, timeouts and limits, with its path', () => {
    const paths = issuesOf({
      ...minimal,
      regions: [{ location: 'wnam', shares: 2 }],
      deadlines: { tbt: 0.05 },
      timeouts: { request: 10 },
      limits: { max_request: 5 },
    }).map((i) => i.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['regions.0', 'deadlines', 'timeouts', 'limits']));
  });
});

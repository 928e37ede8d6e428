import { describe, expect, it } from 'vitest';
import { runConfigSchema } from '../run/run-config.ts';
import {
  SUITE_MAX_RUNS,
  scheduledRunIds,
  scheduleIdOfRun,
  scheduleRequestSchema,
  scheduleUpdateSchema,
  startItems,
} from './schedule.ts';

const config = {
  target: { api: 'openai-chat', base_url: 'https://api.example.com/v1', model: 'm' },
  workload: {
    arrivals: { type: 'constant', qps: 1 },
    lengths: { type: 'fixed', prompt_tokens: 16, output_tokens: 6 },
    requests: 1,
  },
};

function issuePaths(input: unknown): string[] {
  const result = scheduleRequestSchema.safeParse(input);
  return result.success ? [] : [...new Set(result.error.issues.map((issue) => issue.path.join('.')))];
}

describe('scheduleRequestSchema', () => {
  const valid = {
    name: 'nightly',
    cron: '0 3 * * *',
    timezone: 'Europe/Berlin',
    start: { kind: 'run', config },
  };

  it('accepts a 5-field expression in an IANA zone, enabled and in UTC by default', () => {
    const parsed = scheduleRequestSchema.parse({ name: 'n', cron: '*/15 * * * 1-5', start: valid.start });
    expect(parsed.timezone).toBe('UTC');
    expect(parsed.enabled).toBe(true);
    expect(issuePaths(valid)).toEqual([]);
  });

  it('refuses a bad cron expression naming `cron`', () => {
    for (const cron of ['61 * * * *', '* * *', '0 0 * * * *', '@daily', 'x'.repeat(201), ''])
      expect(issuePaths({ ...valid, cron }), cron).toEqual(['cron']);
  });

  it('refuses an unknown time zone naming `timezone`', () => {
    for (const timezone of ['Mars/Base', 'Europe/Berlinn', ''])
      expect(issuePaths({ ...valid, timezone }), timezone).toEqual(['timezone']);
  });

  it('bounds the name and refuses unknown keys and unknown start kinds', () => {
    expect(issuePaths({ ...valid, name: 'x'.repeat(201) })).toEqual(['name']);
    expect(issuePaths({ ...valid, extra: 1 })).toEqual(['']);
    expect(issuePaths({ ...valid, start: { kind: 'campaign', request: {} } })).toEqual(['start.kind']);
  });

  it('an update needs at least one field and validates the ones given', () => {
    expect(scheduleUpdateSchema.safeParse({}).success).toBe(false);
    expect(scheduleUpdateSchema.safeParse({ enabled: false }).success).toBe(true);
    const bad = scheduleUpdateSchema.safeParse({ cron: '99 * * * *' });
    expect(bad.success ? [] : bad.error.issues.map((i) => i.path.join('.'))).toEqual(['cron']);
  });
});

it('run ids are deterministic per schedule and due time, one per run of a suite', () => {
  const run = { kind: 'run' as const, config: runConfigSchema.parse(config) };
  expect(scheduledRunIds('s1', 1_000, run)).toEqual(scheduledRunIds('s1', 1_000, run));
  expect(scheduledRunIds('s1', 1_000, run)).not.toEqual(scheduledRunIds('s1', 2_000, run));
  expect(scheduledRunIds('s1', 1_000, run)).not.toEqual(scheduledRunIds('s2', 1_000, run));
  const suite = { kind: 'suite' as const, runs: [run.config, run.config, run.config] };
  const ids = scheduledRunIds('s1', 1_000, suite);
  expect(new Set(ids).size).toBe(3);
  expect(startItems(suite)).toHaveLength(3);
});

it('a suite holds 1 to SUITE_MAX_RUNS runs', () => {
  const base = { name: 'n', cron: '0 3 * * *' };
  const suite = (n: number) => ({
    ...base,
    start: { kind: 'suite', runs: Array.from({ length: n }, () => config) },
  });
  expect(scheduleRequestSchema.safeParse(suite(SUITE_MAX_RUNS)).success).toBe(true);
  for (const n of [0, SUITE_MAX_RUNS + 1]) expect(issuePaths(suite(n)), String(n)).toEqual(['start.runs']);
});

const profileRequest = {
  target: { api: 'openai-chat', base_url: 'https://api.example.com/v1', model: 'm' },
  prompt_lengths: [64, 128],
};
const searchRequest = {
  template: {
    target: { api: 'openai-chat', base_url: 'https://api.example.com/v1', model: 'm' },
    workload: { lengths: { type: 'fixed', prompt_tokens: 16, output_tokens: 8 } },
  },
  settings: { dimension: 'qps', slo: { type: 'ttft_tpot' }, load: { min: 1, max: 8 } },
};

describe('profiles and searches as starts', () => {
  const base = { name: 'n', cron: '0 3 * * *' };
  it('accepts a profile, a search, and a suite mixing them with runs (cap SUITE_MAX_RUNS)', () => {
    expect(issuePaths({ ...base, start: { kind: 'profile', request: profileRequest } })).toEqual([]);
    const search = scheduleRequestSchema.safeParse({
      ...base,
      start: { kind: 'search', request: searchRequest },
    });
    expect(search.success, JSON.stringify(search.error?.issues)).toBe(true);
    const starts = [
      { kind: 'run', config },
      { kind: 'profile', request: profileRequest },
      { kind: 'search', request: searchRequest },
    ];
    const parsed = scheduleRequestSchema.parse({ ...base, start: { kind: 'suite', starts } });
    expect(startItems(parsed.start).map((i) => i.kind)).toEqual(['run', 'profile', 'search']);
    const ids = scheduledRunIds('sch-a-b', 5, parsed.start);
    expect(ids).toEqual(['sched-sch-a-b-5-0', 'prof-sched-sch-a-b-5-1', 'search-sched-sch-a-b-5-2']);
    const many = Array.from({ length: SUITE_MAX_RUNS + 1 }, () => starts[1]);
    expect(issuePaths({ ...base, start: { kind: 'suite', starts: many } })).toEqual(['start.starts']);
  });

  it('names the field of a bad item, and refuses a suite with both or neither of runs and starts', () => {
    const bad = {
      kind: 'suite',
      starts: [{ kind: 'profile', request: { ...profileRequest, samples_per_length: 0 } }],
    };
    expect(issuePaths({ ...base, start: bad })).toEqual(['start.starts.0.request.samples_per_length']);
    expect(
      issuePaths({ ...base, start: { kind: 'suite', runs: [config], starts: [{ kind: 'run', config }] } }),
    ).toEqual(['start']);
    expect(issuePaths({ ...base, start: { kind: 'suite' } })).toEqual(['start']);
  });
});

describe('scheduleIdOfRun', () => {
  it('reads the schedule back from every id scheduledRunIds makes, and nothing from others', () => {
    const id = 'sch-mxb1c2d3-0a1b2c3d4e';
    const start = { kind: 'suite', runs: [{}, {}] } as unknown as Parameters<typeof scheduledRunIds>[2];
    for (const runId of [
      ...scheduledRunIds(id, 1_796_000_000_000, { kind: 'run' } as Parameters<typeof scheduledRunIds>[2]),
      ...scheduledRunIds(id, 1_796_000_000_000, start),
      `prof-sched-${id}-1796000000000`,
      `prof-sched-${id}-1796000000000-run`,
      `prof-sched-${id}-1796000000000-3-run`,
      `search-sched-${id}-1796000000000-2`,
    ])
      expect(scheduleIdOfRun(runId), runId).toBe(id);
    for (const other of ['run-mxb1c2d3-0a1b2c3d4e', 'sched-x', 'srch-1-p0', `sched-${id}`])
      expect(scheduleIdOfRun(other), other).toBeNull();
  });
});

import { describe, expect, it } from 'vitest';
import { scheduledStartId, scheduleRequestSchema, scheduleUpdateSchema } from './schedule.ts';

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
    expect(issuePaths({ ...valid, start: { kind: 'suite', items: [] } })).toEqual(['start.kind']);
  });

  it('an update needs at least one field and validates the ones given', () => {
    expect(scheduleUpdateSchema.safeParse({}).success).toBe(false);
    expect(scheduleUpdateSchema.safeParse({ enabled: false }).success).toBe(true);
    const bad = scheduleUpdateSchema.safeParse({ cron: '99 * * * *' });
    expect(bad.success ? [] : bad.error.issues.map((i) => i.path.join('.'))).toEqual(['cron']);
  });
});

it('start ids are deterministic per schedule and due time', () => {
  expect(scheduledStartId('s1', 1_000)).toBe(scheduledStartId('s1', 1_000));
  expect(scheduledStartId('s1', 1_000)).not.toBe(scheduledStartId('s1', 2_000));
  expect(scheduledStartId('s1', 1_000)).not.toBe(scheduledStartId('s2', 1_000));
});

import { describe, expect, it } from 'vitest';
import { mergeSimKnobs, parseSimConfig, simConfigSchema, simOverrideSchema } from './sim-config.ts';

describe('sim config', () => {
  it('fills every default from an empty object', () => {
    const c = parseSimConfig({});
    expect(c.prefill_us_per_token).toBe(50);
    expect(c.prefill_base_ms).toBe(20);
    expect(c.decode_ms_per_token).toBe(20);
    expect(c.jitter).toBe(0.1);
    expect(c.tokens_per_chunk).toBe(1);
    expect(c.stall).toEqual({ probability: 0, ms: 500 });
    expect(c.errors).toEqual({
      http_rate: 0,
      http_statuses: [500, 503, 429],
      in_stream_rate: 0,
      disconnect_rate: 0,
      in_stream_type: 'error',
    });
    expect(c.capacity).toEqual({ max_sequences: 64, queue_limit: 256, batch_slowdown: 0.01 });
    expect(c.api_key).toBeUndefined();
    expect(c.seed).toBe(1);
    expect(parseSimConfig(undefined)).toEqual(c);
  });

  it('fills nested defaults around the given nested values', () => {
    const c = parseSimConfig({ capacity: { max_sequences: 2 }, errors: { http_rate: 0.5 } });
    expect(c.capacity).toEqual({ max_sequences: 2, queue_limit: 256, batch_slowdown: 0.01 });
    expect(c.errors.http_rate).toBe(0.5);
    expect(c.errors.http_statuses).toEqual([500, 503, 429]);
  });

  it('reports every issue at once and rejects unknown keys', () => {
    let message = '';
    try {
      parseSimConfig({ jitter: 2, tokens_per_chunk: 0, capacity: { max_sequences: 1.5 }, typo: 1 });
    } catch (e) {
      message = (e as Error).message;
    }
    for (const key of ['jitter', 'tokens_per_chunk', 'max_sequences', 'typo']) expect(message).toContain(key);
  });

  it('documents every field', () => {
    const check = (shape: Record<string, { description?: string | undefined }>, prefix = '') => {
      for (const [key, field] of Object.entries(shape)) expect(field.description, prefix + key).toBeTruthy();
    };
    check(simConfigSchema.shape);
    check(simConfigSchema.shape.stall.unwrap().shape, 'stall.');
    check(simConfigSchema.shape.errors.unwrap().shape, 'errors.');
    check(simConfigSchema.shape.capacity.unwrap().shape, 'capacity.');
    check(simOverrideSchema.shape);
  });

  it('merges an override field by field, keeping unnamed nested values', () => {
    const c = parseSimConfig({ stall: { ms: 100 }, errors: { http_statuses: [502] } });
    const override = simOverrideSchema.parse({ decode_ms_per_token: 3, stall: { probability: 1 } });
    const k = mergeSimKnobs(c, override);
    expect(k.decode_ms_per_token).toBe(3);
    expect(k.prefill_base_ms).toBe(c.prefill_base_ms);
    expect(k.stall).toEqual({ probability: 1, ms: 100 });
    expect(k.errors.http_statuses).toEqual([502]);
    expect(mergeSimKnobs(c, undefined).decode_ms_per_token).toBe(c.decode_ms_per_token);
  });

  it('rejects capacity and out-of-range knobs in an override', () => {
    expect(simOverrideSchema.safeParse({ capacity: { max_sequences: 1 } }).success).toBe(false);
    expect(simOverrideSchema.safeParse({ errors: { http_rate: -1 } }).success).toBe(false);
    expect(simOverrideSchema.safeParse({}).data).toEqual({});
  });
});

describe('sim config: time_scale and knee', () => {
  it('defaults time_scale to 1 and leaves the knee off', () => {
    const c = parseSimConfig({});
    expect(c.time_scale).toBe(1);
    expect(c.capacity.knee).toBeUndefined();
  });

  it('bounds time_scale and the knee, naming the field', () => {
    for (const [input, field] of [
      [{ time_scale: 0 }, 'time_scale'],
      [{ time_scale: 1001 }, 'time_scale'],
      [{ capacity: { knee: { sequences: 0, slowdown: 2 } } }, 'sequences'],
      [{ capacity: { knee: { sequences: 4, slowdown: 0.5 } } }, 'slowdown'],
      [{ capacity: { knee: { sequences: 4 } } }, 'slowdown'],
    ] as const) {
      expect(() => parseSimConfig(input)).toThrow(field);
    }
    expect(parseSimConfig({ capacity: { knee: { sequences: 4, slowdown: 3 } } }).capacity.knee).toEqual({
      sequences: 4,
      slowdown: 3,
    });
  });
});

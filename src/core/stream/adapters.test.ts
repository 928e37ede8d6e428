import { describe, expect, it } from 'vitest';
import { adapterFor } from './adapters.ts';
import { TARGET_APIS } from './target-config.ts';

describe('adapterFor', () => {
  it('has an adapter for every configurable api, named after it', () => {
    for (const api of TARGET_APIS) expect(adapterFor(api).api).toBe(api);
  });

  it('throws for an unknown api (bad configuration)', () => {
    expect(() => adapterFor('anthropic' as never)).toThrow(/no streaming adapter/);
  });
});

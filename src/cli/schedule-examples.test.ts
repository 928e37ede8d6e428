import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'jsonc-parser';
import { describe, expect, it } from 'vitest';
import { scheduleRequestSchema, startItems, startTarget } from '../core/schedule/schedule.ts';

// The README's nightly example files are schedules the API accepts (the local one is run end to end
// by test/e2e/nightly-schedule.test.ts).
const EXAMPLES = path.join(import.meta.dirname, '..', '..', 'examples');

describe('examples/nightly-providers*.jsonc', () => {
  it('are valid schedules: a suite of two providers from three regions with its own webhook secret', async () => {
    for (const name of ['nightly-providers.jsonc', 'nightly-providers-local.jsonc']) {
      const schedule = scheduleRequestSchema.parse(
        parse(await readFile(path.join(EXAMPLES, name), 'utf8'), [], { allowTrailingComma: true }),
      );
      expect(schedule.alert_webhook_secret, name).toBe('NIGHTLY_WEBHOOK_URL');
      const items = startItems(schedule.start);
      expect(new Set(items.map((i) => startTarget(i).model)).size, name).toBe(2);
      for (const item of items) {
        expect(item.kind).toBe('run');
        if (item.kind === 'run')
          expect(item.config.regions.map((r) => r.location).sort(), name).toEqual(['apac', 'weur', 'wnam']);
      }
    }
  });
});

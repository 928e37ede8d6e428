import { describe, expect, it } from 'vitest';
import { searchStatusSchema } from '../api/search-api-schemas.ts';
import { createCapacitySearch, parseSearchSettings } from '../search/capacity-search.ts';
import type { SearchResult } from '../search/search-protocol.ts';
import { runKneeProbe, seededRandom } from '../search/synthetic-knee.ts';
import { formatSearch, searchProgressLine } from './format-search.ts';

// A whole search against the synthetic knee, printed as `fluidbench search --wait` prints it. The
// status goes through the API's schema first, so the CLI's check accepts what the search produces.

function searchAgainstKnee(): SearchResult {
  const settings = parseSearchSettings({
    dimension: 'concurrency',
    slo: { type: 'ttft_tpot' },
    probe: { requests: 200 },
    load: { min: 1, max: 256 },
    warm_start: 'off',
  });
  const search = createCapacitySearch(settings);
  const random = seededRandom(7);
  for (;;) {
    const step = search.next();
    if (step.kind === 'done') return step.result;
    search.record(
      runKneeProbe({ capacity: 40, allowedFraction: 0.1, steepness: 8 }, settings.slo, step.probe, random),
    );
  }
}

function status(result: SearchResult | null, state: 'running' | 'done') {
  return searchStatusSchema.parse({
    id: 'search-1',
    name: 'knee',
    state,
    reason: state === 'done' ? result?.stop_reason : null,
    created_at_ms: 0,
    finished_at_ms: state === 'done' ? 1 : null,
    warm_start_load: null,
    current:
      state === 'running'
        ? {
            index: 3,
            run_id: 'search-1-p3',
            load: 48,
            replicate_of: 2,
            run_state: 'running',
            counts: { requests: 120, bad: 9, errors: 1 },
            decided: null,
          }
        : null,
    result: result && { ...result, stop_reason: state === 'done' ? result.stop_reason : null },
    probes: [],
  });
}

describe('search output', () => {
  it('prints every probe, the bracket, the root and what was spent', () => {
    const result = searchAgainstKnee();
    const text = formatSearch(status(result, 'done'));
    expect(text).toContain(`State: done (${result.stop_reason})`);
    for (const p of result.probes) expect(text).toContain(`${p.requests}/${p.planned_requests}`);
    expect(text).toContain(`Bracket: [${result.bracket.lo}, ${result.bracket.hi}]`);
    expect(text).toContain(`Spent: ${result.probes.length} probes, ${result.requests_used} requests`);
    expect(result.bracket.lo).toBeLessThanOrEqual(40 * 1.1);
    expect(result.bracket.hi).toBeGreaterThanOrEqual(40 / 1.1);
  });

  it('shows the running probe, its counts so far and the bracket in one line', () => {
    const line = searchProgressLine(status(searchAgainstKnee(), 'running'));
    expect(line).toContain('probe 3 at 48 (replicate of 2): 120 measured, 9 bad, 1 errors');
    expect(line).toMatch(/bracket \[\d/);
  });
});

// Search, profile and history answers (the API's shapes) for the browser tests of those
// report pages; only the fields the report builders read are meaningful.
import type { HistoryResponse } from '../../src/core/api/history-api-schemas.ts';
import type { ProfileDetail } from '../../src/core/api/profile-api-schemas.ts';
import type { SearchStatus } from '../../src/core/api/search-api-schemas.ts';
import { fitPrefillPredictor, prefillFitReport } from '../../src/core/profile/prefill-predictor.ts';
import { createCapacitySearch } from '../../src/core/search/capacity-search.ts';
import { searchSloSchema } from '../../src/core/search/search-protocol.ts';
import { type KneeTarget, runKneeProbe, seededRandom } from '../../src/core/search/synthetic-knee.ts';

/**
 * A finished model-strategy search, run for real (the pure search against a seeded synthetic knee
 * at 9 QPS), so the page has probes, a bracket, a root and the fit that gave it.
 */
export function searchFixture(): SearchStatus {
  const sloInput = { type: 'ttft_tpot', ttft_percentile: 0.99, tpot_percentile: 0.5 } as const;
  const slo = searchSloSchema.parse(sloInput);
  const random = seededRandom(11);
  const target: KneeTarget = { capacity: 9, allowedFraction: 0.01, steepness: 16, jitter: 0.03 };
  const search = createCapacitySearch({ dimension: 'qps', slo: sloInput, load: { min: 0.5, max: 64 } });
  for (let guard = 0; guard < 200; guard++) {
    const step = search.next();
    if (step.kind === 'done') {
      if (step.result.root === null) throw new Error('fixture: the search found no root');
      return {
        id: 'search-fixture',
        name: 'capacity of the sim',
        state: 'done',
        reason: null,
        created_at_ms: 1_800_000_000_000,
        finished_at_ms: 1_800_000_600_000,
        warm_start_load: null,
        current: null,
        probes: [],
        result: {
          ...step.result,
          regions: {
            wnam: { bracket: step.result.bracket },
            weur: { bracket: { lo: step.result.bracket.lo, hi: null } },
          },
        },
      };
    }
    search.record(runKneeProbe(target, slo, step.probe, random, true));
  }
  throw new Error('fixture: the search did not finish');
}

export function profileFixture(): ProfileDetail {
  const lengths = [128, 256, 512, 1024, 2048, 4096];
  const samples = lengths.flatMap((l, i) =>
    [0, 1, 2].map((k) => ({
      prompt_tokens: l,
      ttft_s: 0.02 + l * 4e-5 + l * l * 2e-9 + 0.002 * ((i + k) % 3),
    })),
  );
  const minima = lengths.map((l) => ({
    prompt_tokens: l,
    ttft_s: Math.min(...samples.filter((s) => s.prompt_tokens === l).map((s) => s.ttft_s)),
  }));
  const predictor = fitPrefillPredictor(minima);
  return {
    id: 'profile-fixture',
    name: 'sim prefill',
    state: 'done',
    reason: null,
    run_id: 'run-x',
    created_at_ms: 1_800_000_000_000,
    finished_at_ms: 1_800_000_100_000,
    lengths,
    expected_requests: samples.length,
    profile: { samples, predictor },
    min_ttft_per_length: minima,
    fit: prefillFitReport(predictor, minima),
    links: {},
  } as unknown as ProfileDetail;
}

export function historyFixture(): HistoryResponse {
  const values = [0.31, 0.3, 0.32, 0.29, 0.31, 0.3, 0.33, 0.31, 0.45, 0.47, 0.32, 0.31];
  const points = values.map((value, i) => ({
    run_id: `run-${i}`,
    kind: 'run' as const,
    at_ms: 1_800_000_000_000 + i * 86_400_000,
    value,
    lo: null,
    hi: null,
  }));
  return {
    series: [
      {
        schedule_id: 'nightly',
        api: 'openai-chat',
        host: '127.0.0.1',
        model: 'fluidbench-sim',
        region: 'all',
        metric: 'ttft_p99_s',
        worse_when: 'higher',
        points,
        flags: [
          {
            run_id: 'run-9',
            at_ms: points[9]!.at_ms,
            reason: 'outside_band_twice',
            value: 0.47,
            baseline: 0.31,
            band: 0.03,
          },
        ],
      },
    ],
    points: points.length,
    truncated: false,
  };
}

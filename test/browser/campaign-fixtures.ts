// Made-up search, profile and history answers (the API's shapes) for the browser tests of those
// report pages; only the fields the report builders read are meaningful.
import type { HistoryResponse } from '../../src/core/api/history-api-schemas.ts';
import type { ProfileDetail } from '../../src/core/api/profile-api-schemas.ts';
import type { SearchStatus } from '../../src/core/api/search-api-schemas.ts';
import { fitPrefillPredictor, prefillFitReport } from '../../src/core/profile/prefill-predictor.ts';

export function searchFixture(): SearchStatus {
  const loads = [2, 4, 8, 6, 7, 7, 6.5];
  const probes = loads.map((load, index) => {
    const bad = load >= 7 ? 0.2 + (load - 7) * 0.1 : 0.01 * load;
    const verdict = bad > 0.1 ? ('fail' as const) : ('pass' as const);
    return {
      index,
      offered_load: load,
      achieved_load: load,
      replicate_of: index === 5 ? 4 : null,
      planned_requests: 200,
      requests: 200,
      bad: Math.round(bad * 200),
      errors: 0,
      output_tokens: 200 * 64,
      counts: {},
      binding_part: 'ttft',
      bad_fraction: bad,
      threshold_fraction: 0.1,
      interval: { lo: Math.max(0, bad - 0.04), hi: Math.min(1, bad + 0.05) },
      statistic: null,
      verdict,
      resolved: true,
      reason: verdict,
      elapsed_s: 20,
    };
  });
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
      stop_reason: 'bracket_narrow',
      bracket: { lo: 6.5, hi: 7 },
      lower_bound_only: false,
      root: { load: 6.8, lo: 6.5, hi: 7 },
      probes,
      requests_used: 1400,
      output_tokens_used: 89_600,
      elapsed_s: 140,
      regions: { wnam: { bracket: { lo: 6.5, hi: 7 } }, weur: { bracket: { lo: 6, hi: 7 } } },
    },
  };
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

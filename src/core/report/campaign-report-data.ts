import type { HistoryResponse } from '../api/history-api-schemas.ts';
import type { ProfileDetail } from '../api/profile-api-schemas.ts';
import type { SearchStatus } from '../api/search-api-schemas.ts';
import { baselineOf } from '../history/regression-rule.ts';
import { predictPrefillS } from '../profile/prefill-predictor.ts';
import type { HistoryReportData, ProfileReportData, SearchReportData } from './report-data.ts';
import { searchFitCurve } from './search-fit-curve.ts';

/** Grid points of the profile's predictor curve. */
const PROFILE_CURVE_POINTS = 120;
/** How far past the longest profiled prompt the curve is drawn (extrapolated), as a factor. */
const PROFILE_EXTRAPOLATE_FACTOR = 1.5;

/** A capacity search: each probe with its Wilson interval, the threshold and the bracket. */
export function buildSearchReportData(search: SearchStatus, nowMs: number): SearchReportData {
  const result = search.result;
  const probes = (result?.probes ?? []).map((p) => ({
    index: p.index,
    load: p.offered_load,
    bad_fraction: p.bad_fraction,
    lo: p.interval.lo,
    hi: p.interval.hi,
    verdict: p.verdict,
    requests: p.requests,
    binding_part: p.binding_part,
  }));
  const notes: string[] = [];
  if (search.state === 'running' || search.state === 'queued')
    notes.push('The search is still running: probes and bracket so far.');
  // The model strategy's fit is not stored; it is recomputed from the probes (search-fit-curve.ts).
  const fitted = result ? searchFitCurve(result.probes, result.root, result.bracket) : null;
  if (result?.root && fitted?.fit === null) notes.push(`No fitted curve: ${fitted.why}.`);
  return {
    kind: 'search',
    title: `Capacity search ${search.name ?? search.id}`,
    generated_at_ms: nowMs,
    search: {
      id: search.id,
      name: search.name,
      state: search.state,
      stop_reason: result?.stop_reason ?? null,
    },
    probes,
    threshold: result?.probes[0]?.threshold_fraction ?? null,
    bracket: result?.bracket ?? { lo: null, hi: null },
    root: result?.root ?? null,
    fit: fitted?.fit ?? null,
    region_brackets: Object.fromEntries(
      Object.entries(result?.regions ?? {}).map(([region, r]) => [region, r.bracket]),
    ),
    notes,
  };
}

/** A prefill profile: the samples, the per-length minima, the fitted predictor and its residuals. */
export function buildProfileReportData(profile: ProfileDetail, nowMs: number): ProfileReportData {
  const file = profile.profile;
  const predictor = file?.predictor;
  const minima = (profile.min_ttft_per_length ?? []).map((s) => {
    const predicted = predictor ? predictPrefillS(predictor, s.prompt_tokens) : Number.NaN;
    return {
      prompt_tokens: s.prompt_tokens,
      ttft_s: s.ttft_s,
      predicted_s: predicted,
      residual_s: s.ttft_s - predicted,
    };
  });
  let curve: ProfileReportData['curve'] = { prompt_tokens: [], prefill_s: [], extrapolated_from: null };
  if (predictor) {
    const maxProfiled =
      predictor.kind === 'quadratic' ? predictor.max_profiled_tokens : predictor.knots.at(-1)!.prompt_tokens;
    const end = Math.max(1, Math.ceil(maxProfiled * PROFILE_EXTRAPOLATE_FACTOR));
    const xs = Array.from({ length: PROFILE_CURVE_POINTS }, (_, i) =>
      Math.round((end * i) / (PROFILE_CURVE_POINTS - 1)),
    );
    curve = {
      prompt_tokens: xs,
      prefill_s: xs.map((x) => predictPrefillS(predictor, x)),
      extrapolated_from: maxProfiled,
    };
  }
  return {
    kind: 'profile',
    title: `Prefill profile ${profile.name ?? profile.id}`,
    generated_at_ms: nowMs,
    profile: { id: profile.id, name: profile.name, state: profile.state },
    samples: file?.samples ?? [],
    minima: predictor ? minima : [],
    curve,
    fit: profile.fit,
    notes: predictor ? [] : ['The profile has no fitted predictor yet.'],
  };
}

/**
 * A metric over time per series, with the baseline band each point was judged against (the median
 * of up to the 7 points before it ± its band) and the regression flags the API computed.
 */
export function buildHistoryReportData(
  history: HistoryResponse,
  title: string,
  nowMs: number,
): HistoryReportData {
  const series = history.series.map((s) => {
    const values = s.points.map((p) => p.value);
    const bands = values.map((_, i) => baselineOf(values.slice(0, i)));
    return {
      label: `${s.metric} · ${s.model} · ${s.region}${s.schedule_id ? ` · ${s.schedule_id}` : ''}`,
      metric: s.metric,
      worse_when: s.worse_when,
      t_ms: s.points.map((p) => p.at_ms),
      value: values,
      band_lo: bands.map((b) => (b === null ? null : b.baseline - b.band)),
      band_hi: bands.map((b) => (b === null ? null : b.baseline + b.band)),
      flags: s.flags.map((f) => ({ at_ms: f.at_ms, value: f.value, reason: f.reason })),
    };
  });
  return {
    kind: 'history',
    title,
    generated_at_ms: nowMs,
    series,
    notes: history.truncated ? [`Only the newest ${history.points} points are shown.`] : [],
  };
}

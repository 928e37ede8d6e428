import { predictPrefillUs } from '../../core/profile/prefill-predictor.ts';
import type { PredictorParams } from '../../core/profile/prefill-profile.ts';
import { evaluateProbeSlo } from '../../core/search/probe-statistic.ts';
import type { ClassifiedRequest, SearchSlo } from '../../core/search/search-protocol.ts';
import { classifiedOf } from '../../core/shard/probe-counts.ts';
import { readRequests } from '../storage/records-store.ts';

// The exact SLO verdict and statistic of a probe that ran to its end, from its measured records in
// D1 (what the counts alone cannot give: the value of the percentile, and the verdict when the
// type-7 interpolation falls between a good and a bad value).

/** Records per D1 page: a probe of the largest size (100k requests) is 50 queries. */
const PAGE = 2_000;

export async function probeSloOf(
  d1: D1Database,
  runId: string,
  slo: SearchSlo,
  prefill: PredictorParams | null,
): Promise<{ passed: boolean; statistic: number | null }> {
  const requests: ClassifiedRequest[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await readRequests(d1, runId, { limit: PAGE, ...(after !== undefined ? { after } : {}) });
    // As the shards counted: requests cut short by the run's own stop say nothing about the target.
    for (const record of page.records)
      if (record.outcome !== 'cancelled') requests.push(classifiedOf(record));
    if (page.next === null) break;
    after = page.next;
  }
  return evaluateProbeSlo(slo, requests, prefill ? (tokens) => predictPrefillUs(prefill, tokens) : undefined);
}

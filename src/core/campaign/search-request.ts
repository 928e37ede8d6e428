import { z } from 'zod';
import { MAX_NAME_CHARS } from '../run/config-bounds.ts';
import { type SearchSettings, searchSettingsSchema } from '../search/search-protocol.ts';
import { type LoadArrivals, type ProbeTemplate, probeTemplateSchema } from './probe-template.ts';

// `POST /v1/searches`: what a capacity search is asked for, and the key that finds an earlier
// search of the same question for a warm start.

export const searchRequestSchema = z
  .strictObject({
    name: z.string().min(1).max(MAX_NAME_CHARS).optional(),
    template: probeTemplateSchema,
    settings: searchSettingsSchema,
  })
  .describe('A capacity search: the probe template (a run config without arrivals) and the search settings.');
export type SearchRequest = z.infer<typeof searchRequestSchema>;

/** Days an earlier search of the same question may serve as a warm start. */
export const WARM_START_MAX_AGE_DAYS = 14;

/**
 * Same question, same answer: target (api, base_url host, model), workload lengths, SLO and load
 * dimension. A warm start from a search with another key would start from the wrong place.
 */
export function warmStartKey(template: ProbeTemplate, settings: SearchSettings): string {
  const { api, base_url: baseUrl, model } = template.target;
  const host = URL.canParse(baseUrl) ? new URL(baseUrl).host : baseUrl;
  return JSON.stringify([api, host, model, template.workload.lengths, settings.slo, settings.dimension]);
}

/** How a probe's load becomes arrivals, from the settings. */
export function loadArrivals(settings: SearchSettings): LoadArrivals {
  if (settings.dimension === 'concurrency') return { dimension: 'concurrency' };
  const arrivals = settings.arrivals;
  return {
    dimension: 'qps',
    process: arrivals.type === 'gamma' ? { type: 'gamma', cv: arrivals.cv } : { type: arrivals.type },
  };
}

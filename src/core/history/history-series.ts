import type { HistoryPoint, HistorySeries } from '../api/history-api-schemas.ts';
import { HEADLINE_METRICS, type HeadlineMetric } from './headline-metrics.ts';
import { regressionFlags } from './regression-rule.ts';

/** A stored history point with its series key. */
export interface KeyedPoint extends HistoryPoint {
  schedule_id: string | null;
  api: string;
  host: string;
  model: string;
  region: string;
  metric: HeadlineMetric;
}

/**
 * Groups points (oldest first) into series of one schedule, target, region and metric, each with
 * the regression rule's flags over its points.
 */
export function toSeries(points: readonly KeyedPoint[]): HistorySeries[] {
  const groups = new Map<string, HistorySeries>();
  for (const p of points) {
    const { schedule_id, api, host, model, region, metric, ...point } = p;
    const key = JSON.stringify([schedule_id, api, host, model, region, metric]);
    let series = groups.get(key);
    if (!series) {
      series = {
        schedule_id,
        api,
        host,
        model,
        region,
        metric,
        worse_when: HEADLINE_METRICS[metric],
        points: [],
        flags: [],
      };
      groups.set(key, series);
    }
    series.points.push(point);
  }
  for (const series of groups.values()) {
    series.flags = regressionFlags(series.points, series.worse_when).map((f) => {
      const point = series.points[f.index] as HistoryPoint;
      return {
        run_id: point.run_id,
        at_ms: point.at_ms,
        reason: f.reason,
        value: f.value,
        baseline: f.baseline,
        band: f.band,
      };
    });
  }
  return [...groups.values()];
}

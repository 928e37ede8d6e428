import { z } from 'zod';

// Capacity-search configuration. Keys are snake_case like the interchange format.
// `mode` is the discriminator and has no default: a smarter mode may be added later, and a config
// must not silently change its search when that happens.

/** fluidbench's gates on every probe and its budgets, shared by every search mode. */
const commonFields = {
  /**
   * A probe passes only if |achieved − offered| ≤ this fraction of the offered QPS: otherwise the
   * load that was judged is not the load that was asked for (generator fell behind, target throttled).
   */
  achieved_rate_tolerance: z.number().min(0).lt(1).default(0.05),
  /**
   * A probe passes only if its error rate (failed / all requests) is strictly below this bound.
   * Default 0.01: fewer than 1 request in 100 may fail. 1 admits any error rate below 100%.
   */
  error_rate_bound: z.number().gt(0).max(1).default(0.01),
  /** Stop before the next probe once this much wall time has been spent on the search. */
  time_budget_s: z.number().finite().positive().optional(),
  /** Stop before the next probe once this many requests have been sent by the search. */
  request_budget: z.int().positive().optional(),
};

/** etalon's bisection with upward bracket doubling, reproduced probe for probe. */
const etalonSearchConfigSchema = z.strictObject({
  mode: z.literal('etalon'),
  /** The bracket starts as [0, 2·start_qps], so the first probe is start_qps (etalon default 1). */
  start_qps: z.number().finite().positive().default(1),
  /** etalon's `--max-iterations`. */
  max_probes: z.int().positive().default(20),
  /** Converged when the bracket is narrower than this percentage of the last probe (etalon 2.5). */
  min_search_granularity_pct: z.number().finite().nonnegative().default(2.5),
  ...commonFields,
});

const capacitySearchConfigSchema = z.discriminatedUnion('mode', [etalonSearchConfigSchema]);
export type CapacitySearchConfig = z.infer<typeof capacitySearchConfigSchema>;
export type CapacitySearchConfigInput = z.input<typeof capacitySearchConfigSchema>;

/** Validates a search config, filling defaults. Throws one Error listing every issue. */
export function parseCapacitySearchConfig(input: unknown): CapacitySearchConfig {
  const parsed = capacitySearchConfigSchema.safeParse(input);
  if (!parsed.success) {
    throw new Error(`invalid capacity search config:\n${z.prettifyError(parsed.error)}`, {
      cause: parsed.error,
    });
  }
  return parsed.data;
}

import { z } from 'zod';
import { SEED } from '../run/config-bounds.ts';
import { type RunConfigInput, runConfigSchema } from '../run/run-config.ts';
import { lengthsSchema } from '../workload/lengths.ts';
import { TOKENIZERS } from '../workload/workload-config.ts';

// A capacity search's probe template: a run config without the parts the search decides (the
// arrivals, the request count and the warm-up), and how one probe's run config is made from it.

/** The workload of a template: only what every probe shares (lengths, seed, tokenizer). */
const templateWorkloadSchema = z.strictObject({
  lengths: lengthsSchema,
  seed: z
    .int()
    .min(SEED.min)
    .max(SEED.max)
    .default(1)
    .describe(
      'Probe k runs with seed + k (a replicate with its original’s), so replicates repeat the same requests.',
    ),
  tokenizer: z.enum(TOKENIZERS).default('o200k_base'),
});

/** Everything of a run config (target, regions, limits, timeouts, …) but the search-made workload parts. */
export const probeTemplateSchema = runConfigSchema
  .omit({ name: true })
  .extend({ workload: templateWorkloadSchema })
  .describe('A run config without name, workload.arrivals, workload.requests and workload.warmup.');
export type ProbeTemplate = z.infer<typeof probeTemplateSchema>;

/** What a probe's run needs from the search: load, size and which probe it is. */
export interface ProbeShape {
  index: number;
  load: number;
  replicate_of: number | null;
  /** Planned measured requests. */
  requests: number;
  warmup_requests: number;
}

/** How the search turns a load into arrivals (its `dimension` and, for QPS, the process). */
export type LoadArrivals =
  | { dimension: 'concurrency' }
  | { dimension: 'qps'; process: { type: 'poisson' } | { type: 'constant' } | { type: 'gamma'; cv: number } };

/** The probe's seed: the template's plus the probe index (its original's for a replicate), wrapped. */
export function probeSeed(templateSeed: number, probe: Pick<ProbeShape, 'index' | 'replicate_of'>): number {
  const span = SEED.max - SEED.min + 1;
  return SEED.min + ((templateSeed - SEED.min + (probe.replicate_of ?? probe.index)) % span);
}

/**
 * The run config of one probe: the template, arrivals at the probe's load, warm-up + planned
 * requests. Not yet validated: the caller parses it with runConfigSchema (limits, refinements).
 */
export function probeRunConfig(
  template: ProbeTemplate,
  arrivals: LoadArrivals,
  probe: ProbeShape,
  name: string,
): RunConfigInput {
  const { lengths, seed, tokenizer } = template.workload;
  return {
    ...template,
    name,
    workload: {
      arrivals:
        arrivals.dimension === 'concurrency'
          ? { type: 'concurrency', n: Math.max(1, Math.round(probe.load)) }
          : { ...arrivals.process, qps: probe.load },
      lengths,
      requests: probe.warmup_requests + probe.requests,
      warmup: { requests: probe.warmup_requests },
      seed: probeSeed(seed, probe),
      tokenizer,
    },
  };
}

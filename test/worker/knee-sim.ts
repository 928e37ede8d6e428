import type { SimConfigInput } from '../../src/core/sim/sim-config.ts';

/**
 * The instance config of the capacity-search tests' own loopback simulator (started by
 * global-setup.ts, reached through TEST_KNEE_TARGET_URL): a sharp knee, no batch slowdown and no
 * jitter, so its capacity under a TPOT objective is exact (src/core/sim/sim-capacity.ts) and no
 * other test's load shifts it.
 */
export const KNEE_SIM_CONFIG = {
  seed: 11,
  jitter: 0,
  capacity: { batch_slowdown: 0, knee: { sequences: 16, slowdown: 3 } },
} satisfies SimConfigInput;

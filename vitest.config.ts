import path from 'node:path';
import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-plugin';
import { configDefaults, defineConfig, type ViteUserConfig } from 'vitest/config';

// Projects: `core` runs pure TypeScript (src/core, the CLI, shared vectors) in plain Node;
// `worker` and `campaign` run the Worker inside workerd with its real bindings (local D1, Durable
// Objects); `e2e` drives the local stack through the CLI.
const CAMPAIGN_TESTS = ['test/worker/search-capacity.test.ts'];

export default defineConfig(async (): Promise<ViteUserConfig> => {
  const migrations = await readD1Migrations(path.join(import.meta.dirname, 'migrations'));
  /** A project running the Worker in workerd with its real bindings (local D1, Durable Objects). */
  const workerProject = (
    name: string,
    include: string[],
    exclude: string[],
    bindings: Record<string, string>,
  ) => ({
    plugins: [
      cloudflareTest(({ inject }) => ({
        wrangler: { configPath: './wrangler.toml' },
        miniflare: {
          // A stand-in for the Workers AI binding (test/worker/ai-stand-in.mjs), reached over RPC.
          serviceBindings: { TEST_AI: { name: 'ai-stand-in', entrypoint: 'AiStandIn' } },
          workers: [
            {
              name: 'ai-stand-in',
              modules: true,
              scriptPath: './test/worker/ai-stand-in.mjs',
              compatibilityDate: '2026-11-01',
            },
          ],
          bindings: {
            TEST_MIGRATIONS: migrations,
            CONTROL_TOKEN: 'test-control-token-0123456789',
            SIM_API_KEY: 'test-sim-key',
            // Fast lifecycle timings for tests (defaults: 1.5 s, 2 s, 60 s).
            START_DELAY_MS: '0',
            HEARTBEAT_MS: '200',
            DEAD_SHARD_MS: '1500',
            ...bindings,
            // Shard 1 of runs named `poisoned-shard` throws on every alarm (test/worker/failing-shard.test.ts).
            TEST_SHARD_THROW: 'poisoned-shard/1',
            // A loopback simulated target in Node, started by test/worker/global-setup.ts.
            TEST_TARGET_URL: `http://127.0.0.1:${inject('simPort')}`,
            // The capacity-search tests' own simulator with an exact knee (test/worker/knee-sim.ts).
            TEST_KNEE_TARGET_URL: `http://127.0.0.1:${inject('kneeSimPort')}`,
            TEST_RESET_PORT: String(inject('resetPort')),
            TEST_CLOSED_PORT: String(inject('closedPort')),
            // Regression alerts go to a loopback receiver that fails twice, then accepts (global-setup.ts).
            TEST_WEBHOOK_URL: `http://127.0.0.1:${inject('webhookPort')}/hook`,
            ALERT_WEBHOOK_SECRET: 'TEST_WEBHOOK_URL',
            // SigV4 credentials for Bedrock runs against the simulator (test/worker/provider-protocols.test.ts).
            TEST_AWS_KEY_ID: 'AKIDEXAMPLE',
            TEST_AWS_SECRET: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
          },
        },
      })),
    ],
    // The same alias as wrangler.toml's: sketches-js's lazy protobuf require is never used.
    resolve: { alias: { 'protobufjs/minimal': './src/worker/protobuf-unavailable.ts' } },
    test: {
      name,
      // Runs wait on real alarms, retries (2 s backoff) and streams.
      testTimeout: 30_000,
      include,
      exclude: [...configDefaults.exclude, ...exclude],
      globalSetup: ['./test/worker/global-setup.ts'],
      setupFiles: ['./test/worker/apply-migrations.ts'],
    },
  });
  return {
    test: {
      // In CI also write a JSON report (one per vitest run of `npm test`), from which .ci/run prints a
      // plain "N passed, N failed" line.
      reporters: process.env.CI
        ? ['default', ['json', { outputFile: process.env.VITEST_JSON ?? 'test-results.json' }] as const]
        : ['default'],
      projects: [
        {
          test: {
            name: 'core',
            environment: 'node',
            // CLI tests spawn real processes; beside the workerd project on two cores they can be slow.
            testTimeout: 30_000,
            include: [
              'src/core/**/*.test.ts',
              'src/cli/**/*.test.ts',
              'scripts/**/*.test.ts',
              'test/node/**/*.test.ts',
            ],
          },
        },
        {
          // The local stack (wrangler dev) driven through the CLI. `npm test` runs this project on
          // its own after the others, one file at a time, so its timing checks see a quiet machine.
          test: {
            name: 'e2e',
            environment: 'node',
            include: ['test/e2e/**/*.test.ts'],
            fileParallelism: false,
          },
        },
        // Most workerd tests use a small per-invocation budget (40 subrequests), so runs of a few
        // dozen requests span several alarm slices.
        workerProject('worker', ['src/worker/**/*.test.ts', 'test/worker/**/*.test.ts'], CAMPAIGN_TESTS, {
          SLICE_MAX_SUBREQUESTS: '40',
        }),
        // Whole capacity searches judge open-loop load: their shards keep the production budget, so a
        // slice boundary never pauses a shard and turns its arrivals into bursts.
        workerProject('campaign', CAMPAIGN_TESTS, [], {}),
      ],
    },
  };
});

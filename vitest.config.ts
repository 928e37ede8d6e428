import { cloudflareTest } from '@cloudflare/vitest-plugin';
import { defineConfig } from 'vitest/config';

// Two projects: `core` runs pure TypeScript (src/core, the CLI, shared vectors) in plain Node;
// `worker` runs the Worker inside workerd with its real bindings.
export default defineConfig({
  test: {
    // In CI also write a JSON report, from which .ci/run prints a plain "N passed, N failed" line.
    reporters: process.env.CI ? ['default', ['json', { outputFile: 'test-results.json' }]] : ['default'],
    projects: [
      {
        test: {
          name: 'core',
          environment: 'node',
          include: ['src/core/**/*.test.ts', 'scripts/**/*.test.ts', 'test/node/**/*.test.ts'],
        },
      },
      {
        plugins: [cloudflareTest({ wrangler: { configPath: './wrangler.toml' } })],
        // The same alias as wrangler.toml's: sketches-js's lazy protobuf require is never used.
        resolve: { alias: { 'protobufjs/minimal': './src/worker/protobuf-unavailable.ts' } },
        test: {
          name: 'worker',
          include: ['src/worker/**/*.test.ts', 'test/worker/**/*.test.ts'],
        },
      },
    ],
  },
});

import { cloudflareTest } from '@cloudflare/vitest-plugin';
import { defineConfig } from 'vitest/config';

// Two projects: `core` runs pure TypeScript (src/core, the CLI, shared vectors) in plain Node;
// `worker` runs the Worker inside workerd with its real bindings.
export default defineConfig({
  test: {
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
        test: {
          name: 'worker',
          include: ['src/worker/**/*.test.ts', 'test/worker/**/*.test.ts'],
        },
      },
    ],
  },
});

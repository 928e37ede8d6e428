import type { D1Migration } from 'cloudflare:test';

declare global {
  namespace Cloudflare {
    interface Env {
      TEST_MIGRATIONS: D1Migration[];
      TEST_TARGET_URL: string;
      /** The capacity-search tests' simulator with an exact knee (knee-sim.ts). */
      TEST_KNEE_TARGET_URL: string;
      /** 127.0.0.1 ports: one resets every connection once accepted, nothing listens on the other. */
      TEST_RESET_PORT: string;
      TEST_CLOSED_PORT: string;
      /** The loopback webhook receiver that fails twice, then accepts (global-setup.ts). */
      TEST_WEBHOOK_URL: string;
      ALERT_WEBHOOK_SECRET: string;
      /** SigV4 credentials the Bedrock runs against the simulator name as secrets. */
      TEST_AWS_KEY_ID: string;
      TEST_AWS_SECRET: string;
    }
  }
}

declare module 'vitest' {
  interface ProvidedContext {
    simPort: number;
    kneeSimPort: number;
    resetPort: number;
    closedPort: number;
    webhookPort: number;
  }
}

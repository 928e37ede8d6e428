import { createApp } from './api/app.ts';
import { cronTick } from './cron/cron-tick.ts';
import { simulatorRoute } from './sim-route.ts';

export { Campaign } from './durable/campaign.ts';
export { Coordinator } from './durable/coordinator.ts';
export { Shard } from './durable/shard.ts';

const app = createApp();
// The built-in simulated OpenAI-compatible target (no control token: it is a model API stand-in).
app.all('/sim/*', simulatorRoute);

export default {
  fetch: app.fetch,
  // The one cron trigger (every minute, wrangler.toml): due schedules, then retention.
  scheduled(controller, env, ctx) {
    ctx.waitUntil(cronTick(env, controller.scheduledTime));
  },
} satisfies ExportedHandler<Env>;

import { createApp } from './api/app.ts';
import { simulatorRoute } from './sim-route.ts';

export { Campaign } from './durable/campaign.ts';
export { Coordinator } from './durable/coordinator.ts';
export { Shard } from './durable/shard.ts';

const app = createApp();
// The built-in simulated OpenAI-compatible target (no control token: it is a model API stand-in).
app.all('/sim/*', simulatorRoute);

export default app;

import { Hono } from 'hono';

export { Coordinator } from './durable/coordinator.ts';
export { Shard } from './durable/shard.ts';

const app = new Hono<{ Bindings: Env }>();

app.get('/health', (c) => c.json({ ok: true, service: 'fluidbench' }));

export default app;

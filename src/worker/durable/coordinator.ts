import { DurableObject } from 'cloudflare:workers';

/** One per run: plans the shards, tracks their progress and merges their summaries. */
export class Coordinator extends DurableObject<Env> {}

import { DurableObject } from 'cloudflare:workers';

/** One per (run, shard): derives its share of the workload and streams it. */
export class Shard extends DurableObject<Env> {}

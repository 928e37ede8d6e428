import { applyD1Migrations } from 'cloudflare:test';
import { env } from 'cloudflare:workers';

// Idempotent: every test file starts from a migrated, isolated D1.
await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);

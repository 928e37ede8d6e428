import { defineConfig } from 'drizzle-kit';

// Only `generate` is used: it writes SQL into migrations/ (wrangler's `migrations_dir`) and needs no
// credentials. wrangler applies the .sql files in order and ignores migrations/meta.
export default defineConfig({
  dialect: 'sqlite',
  schema: './src/worker/storage/schema.ts',
  out: './migrations',
});

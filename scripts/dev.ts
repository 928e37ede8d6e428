// npm run dev [-- --persist-to DIR] [other `wrangler dev` options]
//
// The local stack for interactive use: local secrets (.dev.vars, created the first time), the
// report UI bundle, the D1 migrations applied locally, then `wrangler dev` offline on
// 127.0.0.1:8787. State (local D1, Durable Objects) lives in .wrangler/state unless --persist-to
// names another directory; it then holds both the migrated D1 and everything the Worker stores.
// A directory on a RAM disk (e.g. /dev/shm/fluidbench) keeps disk syncs off the one workerd thread
// that stamps every read (docs/timing.md), at the price of losing the state at reboot.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { OFFLINE_ENV, ROOT, WRANGLER } from './local-stack.ts';

const args = process.argv.slice(2);
const at = args.indexOf('--persist-to');
const persist = at >= 0 && args[at + 1] ? ['--persist-to', args[at + 1]!] : [];
const env = { ...process.env, ...OFFLINE_ENV };

function step(cmd: string, argv: string[]): void {
  const result = spawnSync(cmd, argv, { cwd: ROOT, env, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

step(process.execPath, [path.join(ROOT, 'scripts', 'ensure-dev-vars.ts')]);
step(process.execPath, [path.join(ROOT, 'scripts', 'build-report-ui.ts')]);
step(process.execPath, [WRANGLER, 'd1', 'migrations', 'apply', 'fluidbench', '--local', ...persist]);
step(process.execPath, [
  WRANGLER,
  'dev',
  '--ip',
  '127.0.0.1',
  '--port',
  '8787',
  '--test-scheduled',
  '--show-interactive-dev-session=false',
  ...args,
]);

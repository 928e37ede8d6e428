// `npm run dev` needs local secrets: copy .dev.vars.example to .dev.vars the first time.
import { copyFileSync, existsSync } from 'node:fs';

if (!existsSync('.dev.vars')) {
  copyFileSync('.dev.vars.example', '.dev.vars');
  console.error('fluidbench: created .dev.vars from .dev.vars.example (local CONTROL_TOKEN and SIM_API_KEY)');
}

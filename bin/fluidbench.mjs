#!/usr/bin/env node
// Entry point of the `fluidbench` CLI. The CLI is TypeScript run by Node's type stripping, which
// needs Node >= 22.12 (24 is pinned in devDependencies: `npx fluidbench` and `npm run` use it).
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 12)) {
  process.stderr.write(
    `fluidbench needs Node >= 22.12 (this is ${process.version}). Run it as \`npx fluidbench …\` or ` +
      '`npm run fluidbench -- …` inside the project so the pinned Node 24 is used.\n',
  );
  process.exit(2);
}
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));

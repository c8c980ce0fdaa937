#!/usr/bin/env node
// The `formwork` command. Runs the built engine (npm run build); see engine/src/cli.ts.
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

const dist = new URL('../dist/cli.js', import.meta.url);
if (!fs.existsSync(fileURLToPath(dist))) {
  process.stderr.write('formwork: the engine is not built yet; run `npm run build` in the repository root first\n');
  process.exit(1);
}
const { runCli } = await import(dist.href);
runCli(process.argv.slice(2));

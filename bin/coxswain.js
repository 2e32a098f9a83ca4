#!/usr/bin/env node
// The published entry point runs the compiled CLI; `npm run build` (or `npm ci`, through `prepare`) makes it.
import { existsSync } from 'node:fs';

const cli = new URL('../dist/src/cli.js', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write('coxswain is not built yet: run `npm run build` (or `npm ci`) first.\n');
  process.exit(1);
}
await import(cli.href);

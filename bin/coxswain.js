#!/usr/bin/env node
// The published entry point runs the compiled CLI; `npm run build` (or `npm ci`, through `prepare`) makes it.
import { existsSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';

// Keep V8's young generation at its first 1 MiB semi-spaces instead of letting it grow to 16 MiB
// each: a bot that idles most of the day and parses bursts of webhooks does not need the larger
// nursery. Measured with `npm run bench` (BENCHMARKS.md): idle RSS about 13 MiB lower, RSS under
// alert load about half, no loss in overhead or accepted rate. Set before any module of the bot
// loads; an explicit --max-semi-space-size or --min-semi-space-size (flag or NODE_OPTIONS) wins.
const nodeFlags = `${process.execArgv.join(' ')} ${process.env.NODE_OPTIONS ?? ''}`;
if (!/--(max|min)[-_]semi[-_]space[-_]size/.test(nodeFlags))
  setFlagsFromString('--semi-space-growth-factor=1');

const cli = new URL('../dist/src/cli.js', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write('coxswain is not built yet: run `npm run build` (or `npm ci`) first.\n');
  process.exit(1);
}
await import(cli.href);

// node --experimental-transform-types --import ./test/support/run-ts/register.mjs src/cli.ts ...
import { register } from 'node:module';

register('./hooks.mjs', import.meta.url);

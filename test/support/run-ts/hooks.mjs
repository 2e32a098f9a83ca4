// Module hooks that let Node run the TypeScript sources directly (with
// --experimental-transform-types): an import of `./x.js` loads `./x.ts` when only that exists.
// Used by tests that must run the bot as a real process they can SIGKILL, without a build.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export async function resolve(specifier, context, next) {
  if (specifier.endsWith('.js') && context.parentURL?.startsWith('file:') && /^(\.|file:)/.test(specifier)) {
    const url = new URL(specifier, context.parentURL);
    if (!existsSync(fileURLToPath(url))) {
      const ts = new URL(url.href.replace(/\.js$/, '.ts'));
      if (existsSync(fileURLToPath(ts))) return next(ts.href, context);
    }
  }
  return next(specifier, context);
}

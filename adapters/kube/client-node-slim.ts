/**
 * Keeps @kubernetes/client-node's generated API classes and models out of memory until an
 * operation needs them. Its `dist/config.js` (KubeConfig) imports `./gen/index.js` for two names,
 * createConfiguration and ServerConfiguration (used by makeApiClient), and that index loads every
 * generated API group and model: about 25 MB of JavaScript, +41 MiB RSS and +15 MiB of live heap
 * in a bare node process (measured 2026-12-05 with bench/client-node-import.mjs). The health
 * caches, the Lease and every raw request need only KubeConfig's loading and authentication.
 *
 * A module resolution hook (node:module registerHooks, in this thread, before the first import of
 * the package) answers that one import of config.js with a module exporting just those two names
 * from the same files the index re-exports them from, so the classes are the same instances when
 * the full index is loaded later (operator-client.ts imports it on the first generated-API call).
 * If a later client-node imports more names from the index in config.js, the import fails at
 * start with "does not provide an export named …", never silently.
 */
import { registerHooks } from 'node:module';

const CONFIG_MODULE = '/@kubernetes/client-node/dist/config.js';
const SLIM_QUERY = '?coxswain-config-deps';

// Relative to the URL of the package's gen/index.js, so configuration.js and servers.js are the
// package's own modules, loaded once whoever imports them.
const SLIM_SOURCE = [
  "export { createConfiguration } from './configuration.js';",
  "export { ServerConfiguration } from './servers.js';",
].join('\n');

let registered = false;

/** Idempotent; call it before anything imports @kubernetes/client-node. */
export function registerClientNodeSlim(): void {
  if (registered) return;
  registered = true;
  registerHooks({
    resolve(specifier, context, nextResolve) {
      const resolved = nextResolve(specifier, context);
      if (specifier === './gen/index.js' && context.parentURL?.endsWith(CONFIG_MODULE))
        return { ...resolved, url: `${resolved.url}${SLIM_QUERY}`, shortCircuit: true };
      return resolved;
    },
    load(url, context, nextLoad) {
      if (url.endsWith(SLIM_QUERY)) return { format: 'module', source: SLIM_SOURCE, shortCircuit: true };
      return nextLoad(url, context);
    },
  });
}

registerClientNodeSlim();

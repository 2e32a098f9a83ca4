/**
 * One connection per cluster, as client-go has one transport per config. @kubernetes/client-node
 * 2.x builds a new undici Agent in every `applySecurityAuthentication` call, so every list, every
 * watch and every lease renewal opened a TLS connection of its own, and undici 8 makes each an
 * HTTP/2 session (nghttp2's state and Node's buffers for it). The informers of two clusters held
 * about 60 of them; sharing one Agent per cluster multiplexes them all on one HTTP/2 connection
 * (or a few, when the server's stream limit is reached) and took about 20 MiB off the RSS of the
 * bot with its caches full (bench/notes.md). It also saves a TLS handshake per request.
 *
 * HTTP/2 multiplexing needs undici 8.14.1 or later (package.json): with 8.12.4 the session of a
 * reader whose watches had been stopped was torn down when idle while undici still held one of
 * its streams, and that stream's unhandled 'error' ("socket idle timeout", UND_ERR_INFO) ended
 * the process (seen twice in `npm run bench`'s health section, 2026-12-06; not with 8.14.1).
 * HTTP/1.1 instead (allowH2: false) was no lighter: one kept-alive connection per watch, ~145
 * file descriptors, 167-180 MiB with the caches full.
 *
 * The Agent is reused while the request's TLS material and proxy are the same; when they change (a
 * client certificate rotated on disk, an exec plugin's new certificate), a new Agent is made and
 * the old one closes once its requests (watches) have ended.
 */
import { createHash, type Hash } from 'node:crypto';
import type { AgentOptions } from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Dispatcher } from 'undici';

type Cluster = ReturnType<KubeConfig['getCurrentCluster']>;
type CreateDispatcher = (cluster: Cluster, agentOptions: AgentOptions) => Dispatcher | undefined;

function feed(hash: Hash, label: string, value: unknown): void {
  hash.update(`\u0000${label}=`);
  if (value === undefined || value === null) return;
  if (Array.isArray(value)) for (const part of value) feed(hash, `${label}[]`, part);
  else if (typeof value === 'string' || Buffer.isBuffer(value)) hash.update(value);
  else hash.update(JSON.stringify(value));
}

/** What decides the connection: where it goes and with which TLS identity and trust. */
function connectionKey(cluster: Cluster, options: AgentOptions): string {
  const hash = createHash('sha256');
  feed(hash, 'server', cluster?.server);
  feed(hash, 'proxy', cluster?.proxyUrl);
  feed(hash, 'skipTLSVerify', cluster?.skipTLSVerify);
  for (const field of ['ca', 'cert', 'key', 'pfx', 'passphrase', 'rejectUnauthorized', 'servername'] as const)
    feed(hash, field, options[field]);
  return hash.digest('hex');
}

/** Makes every request of `kc` share one undici dispatcher while its credentials stay the same; returns `kc`. */
export function shareDispatcher(kc: KubeConfig): KubeConfig {
  // createDispatcher is private in client-node's typings but is the one place every request's
  // Agent is made (applySecurityAuthentication calls it); replacing it on the instance is the
  // narrowest hook. A client-node that drops it fails here, at start, not silently.
  const target = kc as unknown as { createDispatcher?: CreateDispatcher };
  const create = target.createDispatcher?.bind(kc);
  if (typeof create !== 'function')
    throw new Error(
      '@kubernetes/client-node no longer has KubeConfig.createDispatcher: update shared-dispatcher.ts',
    );
  let shared: { key: string; dispatcher: Dispatcher | undefined } | undefined;
  target.createDispatcher = (cluster, agentOptions) => {
    const key = connectionKey(cluster, agentOptions);
    if (shared?.key !== key) {
      const previous = shared?.dispatcher;
      shared = { key, dispatcher: create(cluster, agentOptions) };
      // close() lets the requests under way (a watch) finish first.
      previous?.close().catch(() => undefined);
    }
    return shared.dispatcher;
  };
  return kc;
}

/**
 * One cluster's read side: a KubeConfig (file + context, or in-cluster), the bot's own read-only
 * identity, and one informer per kind, started lazily and shared by every command.
 */
// KubeConfig from its own module, not the package index (see client-node-slim.ts).
import { KubeConfig } from '@kubernetes/client-node/dist/config.js';
import type { ClusterReader, CredentialExpiry, KindSpec, KindState } from '../../src/health/types.js';
import { credentialExpiry } from './credential-expiry.js';
import { KubeHttp, type RequestInfo } from './http.js';
import { Informer, type InformerOptions } from './informer.js';
import { shareDispatcher } from './shared-dispatcher.js';

export interface ClusterConnection {
  name: string;
  kubeconfig?: string | undefined;
  context?: string | undefined;
  inCluster?: boolean | undefined;
}

/**
 * Loads the KubeConfig a cluster entry names, its requests sharing one connection
 * (shared-dispatcher.ts); throws a sentence with the fix when it cannot.
 */
export function loadKubeConfig(cluster: ClusterConnection): KubeConfig {
  const kc = new KubeConfig();
  if (cluster.inCluster) kc.loadFromCluster();
  else if (cluster.kubeconfig) {
    kc.loadFromFile(cluster.kubeconfig);
    if (cluster.context) {
      if (!kc.getContextObject(cluster.context))
        throw new Error(
          `cluster ${cluster.name}: context ${cluster.context} is not in ${cluster.kubeconfig}`,
        );
      kc.setCurrentContext(cluster.context);
    }
  } else throw new Error(`cluster ${cluster.name}: set kubeconfig (and context) or inCluster: true`);
  return shareDispatcher(kc);
}

export interface ReaderOptions extends Omit<InformerOptions, 'onError'> {
  /** Per request; a cluster that does not answer within it is reported unreachable. */
  requestTimeoutMs: number;
  userAgent?: string;
  /** The pod's own service account: its token is renewed by the kubelet, so its expiry is not reported. */
  inCluster?: boolean;
  onRequest?: (info: RequestInfo) => void;
  onError?: (error: unknown, cluster: string, kind: string) => void;
}

export class KubeClusterReader implements ClusterReader {
  private readonly informers = new Map<string, Informer>();
  private readonly http: KubeHttp;
  private readonly credential: CredentialExpiry | undefined;

  constructor(
    readonly cluster: string,
    kubeConfig: KubeConfig,
    private readonly options: ReaderOptions,
  ) {
    // Read once: the bot reads its kubeconfig at start and a renewed token needs a restart anyway.
    this.credential = credentialExpiry(kubeConfig, options.inCluster === true);
    const httpOptions: ConstructorParameters<typeof KubeHttp>[2] = {
      userAgent: options.userAgent ?? 'coxswain',
      timeoutMs: options.requestTimeoutMs,
    };
    if (options.onRequest) httpOptions.onRequest = options.onRequest;
    this.http = new KubeHttp(cluster, kubeConfig, httpOptions);
  }

  private informer(kind: KindSpec): Informer {
    let informer = this.informers.get(kind.id);
    if (!informer) {
      informer = new Informer(this.http, kind, {
        ...this.options,
        onError: (error, id) => this.options.onError?.(error, this.cluster, id),
      });
      this.informers.set(kind.id, informer);
    }
    return informer;
  }

  credentialExpiry(): CredentialExpiry | undefined {
    return this.credential;
  }

  warm(kinds: readonly KindSpec[]): boolean {
    return kinds.every((k) => this.informers.get(k.id)?.warm === true);
  }

  async read(
    kinds: readonly KindSpec[],
    options: { timeoutMs?: number } = {},
  ): Promise<Map<string, KindState>> {
    const unique = [...new Map(kinds.map((k) => [k.id, k])).values()];
    const informers = unique.map((k) => this.informer(k));
    const all = Promise.all(informers.map((i) => i.ensure()));
    // A timeout must not leave the slower rejection unhandled.
    all.catch(() => undefined);
    if (options.timeoutMs !== undefined) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer within ${options.timeoutMs} ms`)),
          options.timeoutMs,
        );
      });
      try {
        await Promise.race([all, timeout]);
      } finally {
        clearTimeout(timer);
      }
    } else await all;
    return new Map(informers.map((i) => [i.kind.id, i.state()]));
  }

  stop(): void {
    for (const informer of this.informers.values()) informer.stop();
  }
}

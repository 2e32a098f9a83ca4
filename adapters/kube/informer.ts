/**
 * A small reflector for one kind on one cluster, the way client-go's works: list (paginated), then
 * watch from the list's resourceVersion with bookmarks, keeping trimmed objects in a map. Started
 * on first use; a broken watch relists; when relisting fails the informer reports the error, so a
 * cluster that went away is never answered from a stale cache.
 */
import type { KindSpec, KindState, KubeObject } from '../../src/health/types.js';
import { type KubeHttp, KubeHttpError } from './http.js';

export interface InformerOptions {
  pageSize: number;
  /** Server-side watch timeout; the watch is renewed after it. */
  watchSeconds: number;
  /** How long a kind the cluster does not serve stays "absent" before it is asked again. */
  absentRecheckMs: number;
  onError?: (error: unknown, kind: string) => void;
  now?: () => number;
}

type Phase = 'idle' | 'syncing' | 'synced' | 'absent' | 'forbidden' | 'failed';

function pathOf(kind: KindSpec, version: string): string {
  const base = kind.group === '' ? `/api/${version}` : `/apis/${kind.group}/${version}`;
  return kind.only
    ? `${base}/namespaces/${encodeURIComponent(kind.only.namespace)}/${kind.plural}`
    : `${base}/${kind.plural}`;
}

/** The field selector that narrows a one-object kind to its object, on list and watch alike. */
function selectorOf(kind: KindSpec): Record<string, string> {
  return kind.only ? { fieldSelector: `metadata.name=${kind.only.name}` } : {};
}

function keyOf(object: KubeObject): string {
  return `${object.metadata.namespace ?? ''}/${object.metadata.name}`;
}

export class Informer {
  private phase: Phase = 'idle';
  private objects = new Map<string, KubeObject>();
  private resourceVersion = '';
  private path = '';
  private syncing?: Promise<void>;
  private absentSince = 0;
  private error?: unknown;
  private forbidden = '';
  private abort = new AbortController();
  private stopped = false;

  constructor(
    private readonly http: KubeHttp,
    readonly kind: KindSpec,
    private readonly options: InformerOptions,
  ) {}

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  /** True when a read needs no request: synced (watch running) or known absent. */
  get warm(): boolean {
    if (this.phase === 'synced') return true;
    return (
      (this.phase === 'absent' || this.phase === 'forbidden') &&
      this.now() - this.absentSince < this.options.absentRecheckMs
    );
  }

  get lastError(): unknown {
    return this.error;
  }

  /** Resolves when the cache is filled (or the kind is known absent); rejects when the cluster does not answer. */
  ensure(): Promise<void> {
    if (this.warm) return Promise.resolve();
    this.syncing ??= this.sync().finally(() => {
      this.syncing = undefined;
    });
    return this.syncing;
  }

  state(): KindState {
    if (this.phase === 'absent') return { served: false };
    if (this.phase === 'forbidden') return { served: false, forbidden: this.forbidden };
    return { served: true, objects: [...this.objects.values()] };
  }

  stop(): void {
    this.stopped = true;
    this.abort.abort();
  }

  private async sync(): Promise<void> {
    this.phase = 'syncing';
    try {
      for (const version of this.kind.versions) {
        const path = pathOf(this.kind, version);
        try {
          await this.list(path);
          this.path = path;
          this.phase = 'synced';
          this.error = undefined;
          void this.watchLoop();
          return;
        } catch (error) {
          // 404: this version (or the whole CRD) is not served; try the next one.
          if (error instanceof KubeHttpError && error.status === 404) continue;
          // 403: the bot may not read this kind. Not a cluster outage: the checks say so.
          if (error instanceof KubeHttpError && error.status === 403) {
            this.objects.clear();
            this.phase = 'forbidden';
            const what = `${this.kind.plural}${this.kind.group ? `.${this.kind.group}` : ''}`;
            this.forbidden = this.kind.only
              ? `${what} ${this.kind.only.namespace}/${this.kind.only.name}`
              : what;
            this.absentSince = this.now();
            return;
          }
          throw error;
        }
      }
      this.objects.clear();
      this.phase = 'absent';
      this.absentSince = this.now();
    } catch (error) {
      this.phase = 'failed';
      this.error = error;
      throw error;
    }
  }

  private async list(path: string): Promise<void> {
    const fresh = new Map<string, KubeObject>();
    let continueToken: string | undefined;
    let resourceVersion = '';
    do {
      // resourceVersion=0 lets the API server answer from its watch cache, as client-go's
      // reflectors do: one request whatever the object count. A server that pages anyway (no
      // watch cache) returns a continue token, and the next pages follow it.
      const query: Record<string, string> = {
        limit: String(this.options.pageSize),
        ...selectorOf(this.kind),
      };
      if (continueToken) query.continue = continueToken;
      else query.resourceVersion = '0';
      // Trimmed as each item arrives: the raw page is never held whole.
      const page = await this.http.listPage(path, query, (item) =>
        this.kind.trim(item as unknown as KubeObject),
      );
      for (const object of page.items) fresh.set(keyOf(object), object);
      resourceVersion = page.resourceVersion;
      continueToken = page.continueToken;
    } while (continueToken);
    this.objects = fresh;
    this.resourceVersion = resourceVersion;
  }

  private async watchLoop(): Promise<void> {
    while (!this.stopped && this.phase === 'synced') {
      try {
        await this.http.watch(
          this.path,
          {
            ...selectorOf(this.kind),
            resourceVersion: this.resourceVersion,
            allowWatchBookmarks: 'true',
            timeoutSeconds: String(this.options.watchSeconds),
          },
          (type, raw) => this.apply(type, raw),
          this.abort.signal,
        );
      } catch (error) {
        if (this.stopped) return;
        if (!(error instanceof KubeHttpError && error.status === 410))
          this.options.onError?.(error, this.kind.id);
        // Relist: on 410 the resourceVersion expired; otherwise the connection broke. When the
        // relist fails too, the informer is failed and the next read tries again (and reports it).
        try {
          await this.list(this.path);
        } catch (relistError) {
          this.phase = 'failed';
          this.error = relistError;
          return;
        }
      }
    }
  }

  private apply(type: string, raw: Record<string, unknown>): void {
    const metadata = (raw.metadata ?? {}) as { resourceVersion?: string };
    if (metadata.resourceVersion) this.resourceVersion = metadata.resourceVersion;
    if (type === 'BOOKMARK') return;
    const object = this.kind.trim(raw as unknown as KubeObject);
    if (type === 'DELETED') this.objects.delete(keyOf(object));
    else this.objects.set(keyOf(object), object);
  }
}

/**
 * Raw reads against one API server with the kubeconfig's credentials: a paginated list and a
 * streaming watch. Every request passes through `onRequest`, so a test (or a metric) can count
 * exactly what the caches cost the API server.
 */
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import type { KubeConfig } from '@kubernetes/client-node';
// From its own module: the package index loads every generated API (see client-node-slim.ts).
import { HttpMethod, RequestContext } from '@kubernetes/client-node/dist/gen/http/http.js';
import { fetch } from 'undici';
import { ListItemsParser } from './list-items.js';

export interface RequestInfo {
  cluster: string;
  verb: 'list' | 'watch';
  path: string;
}

export class KubeHttpError extends Error {
  constructor(
    message: string,
    readonly status: number,
    /** The API server's own words (its Status message), when it gave them. */
    readonly reason = '',
  ) {
    super(message);
  }
}

/** The `message` of a Kubernetes Status body, or the start of whatever the body was. */
function reasonOf(body: string): string {
  try {
    const message = (JSON.parse(body) as { message?: unknown }).message;
    if (typeof message === 'string') return message;
  } catch {
    // not JSON: the body as it is
  }
  return body.slice(0, 200);
}

export interface ListPage<T = Record<string, unknown>> {
  items: T[];
  resourceVersion: string;
  continueToken?: string;
}

export class KubeHttp {
  constructor(
    readonly cluster: string,
    private readonly kubeConfig: KubeConfig,
    private readonly options: {
      userAgent: string;
      timeoutMs: number;
      onRequest?: (info: RequestInfo) => void;
    },
  ) {}

  get server(): string {
    const server = this.kubeConfig.getCurrentCluster()?.server;
    if (!server) throw new Error(`cluster ${this.cluster}: the kubeconfig has no current cluster`);
    return server;
  }

  private async context(url: URL): Promise<RequestContext> {
    const ctx = new RequestContext(url.toString(), HttpMethod.GET);
    await this.kubeConfig.applySecurityAuthentication(ctx);
    ctx.setHeaderParam('User-Agent', this.options.userAgent);
    ctx.setHeaderParam('Accept', 'application/json');
    return ctx;
  }

  /** One JSON request (GET, POST, PUT) for the few writes the bot makes on its own (its Lease). */
  async request(
    method: 'GET' | 'POST' | 'PUT',
    path: string,
    body?: unknown,
  ): Promise<Record<string, unknown>> {
    const url = new URL(this.server.replace(/\/$/, '') + path);
    const ctx = new RequestContext(
      url.toString(),
      method === 'GET' ? HttpMethod.GET : method === 'POST' ? HttpMethod.POST : HttpMethod.PUT,
    );
    await this.kubeConfig.applySecurityAuthentication(ctx);
    ctx.setHeaderParam('User-Agent', this.options.userAgent);
    ctx.setHeaderParam('Accept', 'application/json');
    if (body !== undefined) ctx.setHeaderParam('Content-Type', 'application/json');
    const response = await fetch(url, {
      method,
      headers: ctx.getHeaders(),
      dispatcher: ctx.getDispatcher(),
      signal: AbortSignal.timeout(this.options.timeoutMs),
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (!response.ok)
      throw new KubeHttpError(
        `${method} ${path}: HTTP ${response.status} ${text.slice(0, 200)}`,
        response.status,
        reasonOf(text),
      );
    return JSON.parse(text) as Record<string, unknown>;
  }

  /**
   * One page of a list, each item passed through `each` as soon as it has arrived (the informer
   * trims it there), so the raw objects of a large page are never all alive at once
   * (list-items.ts). Throws KubeHttpError with the status on a non-2xx answer.
   */
  async listPage<T = Record<string, unknown>>(
    path: string,
    query: Record<string, string>,
    each: (item: Record<string, unknown>) => T = (item) => item as T,
  ): Promise<ListPage<T>> {
    const url = new URL(this.server.replace(/\/$/, '') + path);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    const ctx = await this.context(url);
    this.options.onRequest?.({ cluster: this.cluster, verb: 'list', path });
    const response = await fetch(url, {
      method: 'GET',
      headers: ctx.getHeaders(),
      dispatcher: ctx.getDispatcher(),
      signal: AbortSignal.timeout(this.options.timeoutMs),
    });
    if (!response.ok || !response.body) {
      const body = await response.text().catch(() => '');
      throw new KubeHttpError(`GET ${path}: HTTP ${response.status} ${body.slice(0, 200)}`, response.status);
    }
    const items: T[] = [];
    const parser = new ListItemsParser((item) => items.push(each(item)));
    for await (const chunk of response.body) parser.write(chunk);
    const list = parser.end() as { metadata?: { resourceVersion?: string; continue?: string } };
    const page: ListPage<T> = { items, resourceVersion: list.metadata?.resourceVersion ?? '' };
    if (list.metadata?.continue) page.continueToken = list.metadata.continue;
    return page;
  }

  /**
   * Streams watch events until the server ends the watch, `signal` aborts, or an error. Resolves on
   * a normal end; rejects with KubeHttpError (410 when the resourceVersion is too old).
   */
  async watch(
    path: string,
    query: Record<string, string>,
    onEvent: (type: string, object: Record<string, unknown>) => void,
    signal: AbortSignal,
  ): Promise<void> {
    const url = new URL(this.server.replace(/\/$/, '') + path);
    url.searchParams.set('watch', 'true');
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    const ctx = await this.context(url);
    this.options.onRequest?.({ cluster: this.cluster, verb: 'watch', path });
    // The server ends a watch after timeoutSeconds; one that outlives it by far is a hung
    // connection, which must not keep a cache looking fresh.
    const seconds = Number(query.timeoutSeconds ?? 300);
    const deadline = AbortSignal.timeout((seconds + 30) * 1000);
    const response = await fetch(url, {
      method: 'GET',
      headers: ctx.getHeaders(),
      dispatcher: ctx.getDispatcher(),
      signal: AbortSignal.any([signal, deadline]),
    });
    if (!response.ok || !response.body) {
      const body = await response.text().catch(() => '');
      throw new KubeHttpError(
        `WATCH ${path}: HTTP ${response.status} ${body.slice(0, 200)}`,
        response.status,
      );
    }
    const lines = createInterface(
      Readable.fromWeb(response.body as import('node:stream/web').ReadableStream),
    );
    for await (const line of lines) {
      if (!line.trim()) continue;
      const event = JSON.parse(line) as { type: string; object: Record<string, unknown> };
      if (event.type === 'ERROR') {
        const status = event.object as { code?: number; message?: string };
        throw new KubeHttpError(`WATCH ${path}: ${status.message ?? 'error'}`, status.code ?? 500);
      }
      onEvent(event.type, event.object);
    }
  }
}

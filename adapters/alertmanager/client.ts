/**
 * Alertmanager API v2 over fetch, with a timeout per request and retries with backoff for
 * network errors and 502/503/504 (a proxy in front, or Alertmanager not ready yet). A write that
 * failed without an answer is retried only when it surely did not arrive (connection refused or
 * reset), so a create that timed out is not made twice.
 */
import type {
  AlertmanagerApi,
  FiringAlert,
  Silence,
  SilenceSpec,
} from '../../src/alerts/alertmanager-api.js';
import type { Matcher } from '../../src/alerts/matchers.js';
import { backoffMs } from '../../src/backoff.js';

export interface AlertmanagerClientOptions {
  name: string;
  url: string;
  timeoutMs?: number;
  retries?: number;
  fetch?: typeof fetch;
}

export class AlertmanagerError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

interface ApiMatcher {
  name: string;
  value: string;
  isRegex: boolean;
  isEqual?: boolean;
}

interface ApiSilence {
  id: string;
  matchers: ApiMatcher[];
  startsAt: string;
  endsAt: string;
  createdBy: string;
  comment: string;
  status: { state: 'active' | 'pending' | 'expired' };
}

const RETRY_STATUS = new Set([502, 503, 504]);
const NOT_ARRIVED = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

export class AlertmanagerClient implements AlertmanagerApi {
  readonly name: string;
  readonly url: string;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly fetch: typeof fetch;

  constructor(options: AlertmanagerClientOptions) {
    this.name = options.name;
    this.url = options.url.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.retries = options.retries ?? 2;
    this.fetch = options.fetch ?? fetch;
  }

  async createSilence(spec: SilenceSpec, id?: string): Promise<string> {
    const body: Record<string, unknown> = {
      matchers: spec.matchers.map(toApiMatcher),
      startsAt: new Date(spec.startsAt).toISOString(),
      endsAt: new Date(spec.endsAt).toISOString(),
      createdBy: spec.createdBy,
      comment: spec.comment,
    };
    if (id) body.id = id;
    const result = (await this.request('POST', '/api/v2/silences', body)) as { silenceID?: string };
    if (!result?.silenceID)
      throw new AlertmanagerError(`Alertmanager ${this.name} did not return a silence id`);
    return result.silenceID;
  }

  async listSilences(filter: string[] = []): Promise<Silence[]> {
    const query = filter.map((f) => `filter=${encodeURIComponent(f)}`).join('&');
    const list = (await this.request('GET', `/api/v2/silences${query ? `?${query}` : ''}`)) as ApiSilence[];
    return list.map(fromApiSilence);
  }

  async getSilence(id: string): Promise<Silence | undefined> {
    try {
      return fromApiSilence(
        (await this.request('GET', `/api/v2/silence/${encodeURIComponent(id)}`)) as ApiSilence,
      );
    } catch (error) {
      if (error instanceof AlertmanagerError && error.status === 404) return undefined;
      throw error;
    }
  }

  async expireSilence(id: string): Promise<void> {
    await this.request('DELETE', `/api/v2/silence/${encodeURIComponent(id)}`);
  }

  async extendSilence(id: string, byMs: number, now: number): Promise<string> {
    const silence = await this.getSilence(id);
    if (!silence) throw new AlertmanagerError(`There is no silence ${id} in Alertmanager ${this.name}.`, 404);
    const endsAt = Math.max(silence.endsAt, now) + byMs;
    if (silence.state === 'expired') {
      // An expired silence cannot be changed; a new one with the same matchers takes its place.
      return this.createSilence({ ...silence, startsAt: now, endsAt });
    }
    return this.createSilence({ ...silence, endsAt }, id);
  }

  async listAlerts(filter: string[] = []): Promise<FiringAlert[]> {
    const query = filter.map((f) => `filter=${encodeURIComponent(f)}`).join('&');
    const list = (await this.request('GET', `/api/v2/alerts${query ? `?${query}` : ''}`)) as {
      fingerprint: string;
      labels: Record<string, string>;
      annotations?: Record<string, string>;
      startsAt?: string;
      status: { state: string };
    }[];
    return list.map((a) => {
      const alert: FiringAlert = { fingerprint: a.fingerprint, labels: a.labels, status: a.status.state };
      if (a.annotations) alert.annotations = a.annotations;
      const startsAt = a.startsAt ? Date.parse(a.startsAt) : Number.NaN;
      if (!Number.isNaN(startsAt)) alert.startsAt = startsAt;
      return alert;
    });
  }

  private async request(method: string, path: string, body?: unknown): Promise<unknown> {
    const write = method !== 'GET';
    for (let attempt = 0; ; attempt++) {
      let response: Response;
      try {
        const init: RequestInit = {
          method,
          headers: { accept: 'application/json', ...(body ? { 'content-type': 'application/json' } : {}) },
          signal: AbortSignal.timeout(this.timeoutMs),
        };
        if (body !== undefined) init.body = JSON.stringify(body);
        response = await this.fetch(`${this.url}${path}`, init);
      } catch (error) {
        const code = (error as { cause?: { code?: string } }).cause?.code;
        const retryable = !write || (code !== undefined && NOT_ARRIVED.has(code));
        if (retryable && attempt < this.retries) {
          await sleep(backoffMs(attempt, { baseMs: 200 }));
          continue;
        }
        const why =
          (error as Error).name === 'TimeoutError'
            ? `no answer within ${this.timeoutMs} ms`
            : (code ?? (error as Error).message);
        throw new AlertmanagerError(`Alertmanager ${this.name} (${this.url}) is unreachable: ${why}.`);
      }
      if (RETRY_STATUS.has(response.status) && attempt < this.retries) {
        await response.body?.cancel();
        await sleep(backoffMs(attempt, { baseMs: 200 }));
        continue;
      }
      const text = await response.text();
      if (!response.ok) {
        const detail = text.trim().replace(/^"|"$/g, '').slice(0, 300);
        throw new AlertmanagerError(
          `Alertmanager ${this.name} refused ${method} ${path.split('?')[0]} (${response.status}): ${detail}`,
          response.status,
        );
      }
      return text ? (JSON.parse(text) as unknown) : undefined;
    }
  }
}

function toApiMatcher(m: Matcher): ApiMatcher {
  return {
    name: m.name,
    value: m.value,
    isRegex: m.type === '=~' || m.type === '!~',
    isEqual: m.type === '=' || m.type === '=~',
  };
}

function fromApiSilence(s: ApiSilence): Silence {
  return {
    id: s.id,
    matchers: s.matchers.map((m) => ({
      name: m.name,
      value: m.value,
      type: m.isRegex ? (m.isEqual === false ? '!~' : '=~') : m.isEqual === false ? '!=' : '=',
    })),
    startsAt: Date.parse(s.startsAt),
    endsAt: Date.parse(s.endsAt),
    createdBy: s.createdBy,
    comment: s.comment,
    state: s.status.state,
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

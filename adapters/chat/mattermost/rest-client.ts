/**
 * Client4 (from @mattermost/client) with the bot's personal access token, plus what it lacks:
 * a 429 from Mattermost's rate limiter pauses every call of this client for the `Retry-After`
 * the server sent (Client4 hides the status and headers, so its one fetch path is wrapped),
 * and the call is retried, up to `maxRetries`; then it fails loudly with the status, so the
 * caller (or the alert outbox) retries later. Nothing is dropped silently. Every request is
 * bounded by `timeoutMs` (undici's own default waits 300 s for headers): a hung server fails the
 * call, so one stuck request cannot stall the alert outbox behind it.
 */
import { Client4, ClientError } from '@mattermost/client';
import { backoffMs } from '../../../src/backoff.js';
import type { MattermostDialog } from './dialog.js';

export interface RestOptions {
  url: string;
  token: string;
  maxRetries?: number;
  /** Longest wait for one request's answer (10 s unless set). */
  timeoutMs?: number;
  /** Longest single wait for a rate-limit reset. */
  maxWaitMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Called once per 429, with the wait it asked for. */
  onRateLimited?: (waitMs: number, url: string) => void;
}

interface FetchResult {
  response: Response;
  headers: Headers;
  data: unknown;
}
type FetchWithResponse = (url: string, options: Record<string, unknown>) => Promise<FetchResult>;

const DEFAULT_TIMEOUT_MS = 10_000;

export class MattermostRest extends Client4 {
  private pausedUntil = 0;
  /** 429 answers seen; tests and logs read it. */
  rateLimited = 0;

  constructor(private readonly restOptions: RestOptions) {
    super();
    this.setUrl(restOptions.url.replace(/\/+$/, ''));
    this.setToken(restOptions.token);
    this.setUserAgent('coxswain');
    const self = this as unknown as { doFetchWithResponse: FetchWithResponse };
    const inner = self.doFetchWithResponse;
    self.doFetchWithResponse = (url, options) => this.withRetry(inner, url, options);
  }

  /** Where the server is, for logs and the WebSocket URL. */
  get baseUrl(): string {
    return this.getUrl();
  }

  /**
   * `POST /api/v4/actions/dialogs/open`: shows an interactive dialog to the person whose
   * `trigger_id` it carries (Client4 of this version has no method for it).
   */
  openInteractiveDialog(request: { trigger_id: string; url: string; dialog: MattermostDialog }) {
    return this.doFetch<{ status: string }>(`${this.getBaseRoute()}/actions/dialogs/open`, {
      method: 'post',
      body: JSON.stringify(request),
    });
  }

  private async withRetry(inner: FetchWithResponse, url: string, options: Record<string, unknown>) {
    const now = this.restOptions.now ?? Date.now;
    const sleep = this.restOptions.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    const maxRetries = this.restOptions.maxRetries ?? 5;
    const maxWait = this.restOptions.maxWaitMs ?? 60_000;
    for (let attempt = 0; ; attempt++) {
      const wait = this.pausedUntil - now();
      if (wait > 0) await sleep(Math.min(wait, maxWait));
      const timeoutMs = this.restOptions.timeoutMs ?? DEFAULT_TIMEOUT_MS;
      const signal = AbortSignal.timeout(timeoutMs);
      let result: FetchResult;
      try {
        result = await inner(url, { ...options, ignoreStatus: true, signal });
      } catch (error) {
        // Client4 turns every fetch failure into "Received invalid response": say what happened.
        if (!signal.aborted) throw error;
        throw new ClientError(this.getUrl(), {
          message: `Mattermost did not answer within ${timeoutMs} ms`,
          url,
        });
      }
      const status = result.response.status;
      if (status === 429) {
        this.rateLimited++;
        const retryAfter = Number(result.headers.get('Retry-After'));
        // Retry-After is in seconds; without it, back off exponentially.
        const waitMs =
          Number.isFinite(retryAfter) && retryAfter > 0
            ? retryAfter * 1000
            : backoffMs(attempt, { baseMs: 250 });
        this.pausedUntil = Math.max(this.pausedUntil, now() + Math.min(waitMs, maxWait));
        this.restOptions.onRateLimited?.(waitMs, url);
        if (attempt < maxRetries) continue;
        throw new ClientError(this.getUrl(), {
          message: `Mattermost rate-limited this call ${attempt + 1} times in a row; it will be retried later`,
          status_code: 429,
          url,
        });
      }
      if (result.response.ok || options.ignoreStatus) return result;
      const data = (result.data ?? {}) as {
        message?: string;
        id?: string;
        status_code?: number;
        detailed_error?: string;
      };
      const error: ConstructorParameters<typeof ClientError>[1] = {
        message: typeof data.message === 'string' ? data.message : `HTTP ${status}`,
        status_code: typeof data.status_code === 'number' ? data.status_code : status,
        url,
      };
      if (data.id) error.server_error_id = data.id;
      if (data.detailed_error) error.detailed_error = data.detailed_error;
      throw new ClientError(this.getUrl(), error);
    }
  }
}

/** The HTTP status of a failed Client4 call, when it has one. */
export function statusOf(error: unknown): number | undefined {
  const status = (error as { status_code?: unknown } | undefined)?.status_code;
  return typeof status === 'number' ? status : undefined;
}

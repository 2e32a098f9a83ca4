/**
 * The one backoff every retry uses (alert delivery, the Alertmanager and chat REST clients, the
 * Rocket.Chat reconnect): the base doubled per attempt, capped, and, where many clients may
 * retry at once, spread by a random factor so they do not all come back in the same instant.
 */
export interface BackoffOptions {
  baseMs: number;
  maxMs?: number;
  /** The random factor's range, e.g. [0.75, 1.25]; none unless given. */
  jitter?: readonly [low: number, high: number];
  random?: () => number;
}

/** The wait before retry number `attempt` (0 for the first retry), in milliseconds. */
export function backoffMs(attempt: number, options: BackoffOptions): number {
  // 2^30 times any base is past every cap; the exponent stops there so the number stays finite.
  const exponent = Math.min(Math.max(0, attempt), 30);
  const capped = Math.min(options.maxMs ?? Number.POSITIVE_INFINITY, options.baseMs * 2 ** exponent);
  if (!options.jitter) return capped;
  const [low, high] = options.jitter;
  return capped * (low + (options.random ?? Math.random)() * (high - low));
}

/**
 * fastify's childLoggerFactory for the HTTP server: the per-request child logger (with its reqId)
 * is made only when the request logs something at a level that is written. fastify makes one
 * child per request, and pino applies the redaction paths (src/log.ts, some 40 with wildcards)
 * to a child's bindings when it is made: during an alert storm that was a sixth of all the bytes
 * the bot allocated (1,000 webhooks/s, sampled with the inspector's heap profiler), for loggers
 * that log nothing, the HTTP log being at warn. A line that is written still comes from a real
 * pino child, with its reqId and the redaction.
 */
import type { Bindings, ChildLoggerOptions, Logger } from 'pino';

const LOG_METHODS = new Set(['trace', 'debug', 'info', 'warn', 'error', 'fatal']);
const noop = (): void => undefined;

export function lazyChildLogger(
  parent: Logger,
  bindings: Bindings,
  options: ChildLoggerOptions = {},
): Logger {
  let child: Logger | undefined;
  const real = (): Logger => {
    child ??= parent.child(bindings, options);
    return child;
  };
  const level = options.level ?? parent.level;
  const threshold = level === 'silent' ? Number.POSITIVE_INFINITY : (parent.levels.values[level] ?? 0);
  const dropped = (method: string): boolean => (parent.levels.values[method] ?? 0) < threshold;
  return new Proxy(parent, {
    get(_target, property) {
      if (
        child === undefined &&
        typeof property === 'string' &&
        LOG_METHODS.has(property) &&
        dropped(property)
      )
        return noop;
      const target = real();
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
    set(_target, property, value) {
      const target = real();
      return Reflect.set(target, property, value, target);
    },
  });
}

/**
 * Logging: pino JSON, pretty when a person is watching a terminal. Secrets never reach a log:
 * the redaction list covers tokens, passwords, keys and Authorization headers at the depths our
 * log calls put them, and a unit test proves it.
 */
import { type DestinationStream, type Logger, type LoggerOptions, pino } from 'pino';

const SECRET_KEYS = [
  'token',
  'password',
  'secret',
  'signingKey',
  'authorization',
  'Authorization',
  'cookie',
  'apiKey',
  'accessToken',
  'connectionString',
];

/** Every secret key at the top level and up to three levels down, plus HTTP headers. */
export const REDACT_PATHS = [
  ...SECRET_KEYS.flatMap((key) => [key, `*.${key}`, `*.*.${key}`, `*.*.*.${key}`]),
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'headers["x-auth-token"]',
  'headers["x-user-id"]',
  'req.headers["x-auth-token"]',
];

export type { Logger } from 'pino';

export interface LogOptions {
  level?: string;
  pretty?: boolean;
  destination?: DestinationStream;
}

export function createLogger(options: LogOptions = {}): Logger {
  const base: LoggerOptions = {
    level: options.level ?? 'info',
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    base: { app: 'coxswain' },
  };
  if (options.destination) return pino(base, options.destination);
  if (options.pretty) {
    return pino({
      ...base,
      transport: {
        target: 'pino-pretty',
        options: { destination: 2, colorize: true, translateTime: 'HH:MM:ss' },
      },
    });
  }
  return pino(base, pino.destination(2));
}

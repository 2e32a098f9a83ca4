/** The bot's own Prometheus metrics, one registry per process (tests make their own). */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export interface Metrics {
  registry: Registry;
  commands: Counter<'command' | 'outcome'>;
  commandDuration: Histogram<'command'>;
  chatConnected: Gauge<'platform'>;
  /** Store connections the server dropped while idle (a PostgreSQL restart, a failover). */
  storeConnectionErrors: Counter;
  /** Reports a chat adapter's connection state at every scrape. */
  watchChat(chat: { platform: string; isReady(): boolean }): void;
}

export function createMetrics(options: { defaults?: boolean } = {}): Metrics {
  const registry = new Registry();
  const chats: { platform: string; isReady(): boolean }[] = [];
  if (options.defaults ?? true) collectDefaultMetrics({ register: registry });
  return {
    registry,
    commands: new Counter({
      name: 'coxswain_commands_total',
      help: 'Commands handled, by command and outcome (ok, error, denied, invalid, unknown, ...).',
      labelNames: ['command', 'outcome'],
      registers: [registry],
    }),
    commandDuration: new Histogram({
      name: 'coxswain_command_duration_seconds',
      help: 'Time from a command arriving to its answer.',
      labelNames: ['command'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    chatConnected: new Gauge({
      name: 'coxswain_chat_connected',
      help: '1 while the chat adapter is connected and able to post.',
      labelNames: ['platform'],
      registers: [registry],
      collect() {
        for (const chat of chats) this.set({ platform: chat.platform }, chat.isReady() ? 1 : 0);
      },
    }),
    storeConnectionErrors: new Counter({
      name: 'coxswain_store_connection_errors_total',
      help: 'PostgreSQL connections the server dropped, idle or carrying a query (server restart, failover, idle timeout of a proxy); the pool opens a new one on the next query.',
      registers: [registry],
    }),
    watchChat: (chat) => {
      chats.push(chat);
    },
  };
}

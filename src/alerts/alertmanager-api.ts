/**
 * What the bot needs from an Alertmanager (API v2), so engines and commands do not import the
 * adapter. adapters/alertmanager/client.ts implements it.
 */
import type { Matcher } from './matchers.js';

export interface SilenceSpec {
  matchers: Matcher[];
  startsAt: number;
  endsAt: number;
  createdBy: string;
  comment: string;
}

export interface Silence extends SilenceSpec {
  id: string;
  state: 'active' | 'pending' | 'expired';
}

export interface AlertmanagerApi {
  readonly name: string;
  readonly url: string;
  createSilence(spec: SilenceSpec): Promise<string>;
  /** Silences whose matchers include each of `filter` (Alertmanager's own filter syntax). */
  listSilences(filter?: string[]): Promise<Silence[]>;
  getSilence(id: string): Promise<Silence | undefined>;
  expireSilence(id: string): Promise<void>;
  /** Moves the end by `byMs` (from now if it already ended); returns the silence's id, which Alertmanager may change. */
  extendSilence(id: string, byMs: number, now: number): Promise<string>;
  /** The alerts Alertmanager holds now (active, and suppressed ones with `status` saying so). */
  listAlerts(filter?: string[]): Promise<FiringAlert[]>;
}

export interface FiringAlert {
  /** Alertmanager's hash of the labels: the same alert has the same one in every Alertmanager. */
  fingerprint: string;
  labels: Record<string, string>;
  /** `active`, `suppressed` (silenced or inhibited) or `unprocessed`. */
  status: string;
  annotations?: Record<string, string>;
  startsAt?: number;
}

/** The configured Alertmanagers, by name. */
export class AlertmanagerDirectory {
  private readonly byName = new Map<string, AlertmanagerApi>();

  constructor(clients: AlertmanagerApi[]) {
    for (const client of clients) this.byName.set(client.name, client);
  }

  get names(): string[] {
    return [...this.byName.keys()];
  }

  /** Every configured one, in config order. */
  all(): AlertmanagerApi[] {
    return [...this.byName.values()];
  }

  /** The named one, or the only/first one when no name is given. */
  pick(name?: string): AlertmanagerApi | { error: string } {
    if (this.byName.size === 0)
      return {
        error: 'No Alertmanager is configured: add one under `alertmanagers:` in the config (name and url).',
      };
    if (name === undefined) return this.byName.values().next().value as AlertmanagerApi;
    const client = this.byName.get(name);
    return (
      client ?? {
        error: `There is no Alertmanager named ${JSON.stringify(name)}; configured: ${this.names.join(', ')}.`,
      }
    );
  }

  /** The one an alert came from, by its webhook's externalURL; the first one otherwise. */
  forExternalUrl(externalURL: string): AlertmanagerApi | undefined {
    const origin = originOf(externalURL);
    for (const client of this.byName.values()) if (origin && originOf(client.url) === origin) return client;
    return this.byName.values().next().value;
  }
}

function originOf(url: string): string | undefined {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}

/**
 * What the alert integration tests share: a bot config for the running test stack, the shell
 * chat's transcript (the shell prints every post as `[#channel] text`), and small helpers for
 * the real Alertmanager's API.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { stringify } from 'yaml';
import type { StackEnv } from '../../stack/env.js';

export function writeBotConfig(
  env: StackEnv,
  options: { delivery?: Record<string, unknown>; storm?: Record<string, unknown> } = {},
): { path: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'coxswain-alerts-'));
  const config = {
    log: { level: 'error' },
    store: { sqlite: { path: join(dir, 'coxswain.db') } },
    alerts: {
      webhook: { token: env.ALERT_WEBHOOK_TOKEN, maxBodyBytes: 64 * 1024 },
      routes: [{ matchers: ['cluster="apps"'], channels: ['apps-alerts'], mention: '@oncall-platform' }],
      defaultRoute: { channels: ['alerts'] },
      // Alerts other tests leave in Alertmanager can reach any bot on BOT_PORT: unless a test is
      // about storms, a burst of them must not fold its own alerts into a storm summary.
      storm: options.storm ?? { threshold: 100_000 },
      delivery: { interval: '200ms', maxBackoff: '1s', ratePerSecond: 50, ...options.delivery },
    },
    alertmanagers: [{ name: 'infra', url: env.ALERTMANAGER_URL, timeout: '5s' }],
  };
  const path = join(dir, 'coxswain.yaml');
  writeFileSync(path, stringify(config));
  return { path, dir };
}

/** Everything the shell printed, with waits on it. */
export class Transcript {
  readonly output = new PassThrough();
  readonly input = new PassThrough();
  text = '';

  constructor() {
    this.output.setEncoding('utf8');
    this.output.on('data', (chunk: string) => {
      this.text += chunk;
    });
  }

  /** Types a line into the shell. */
  type(line: string): void {
    this.input.write(`${line}\n`);
  }

  /** Text printed from `from` (a length of `text`) on. */
  since(from: number): string {
    return this.text.slice(from);
  }

  async waitFor(pattern: RegExp, timeoutMs = 30_000, from = 0): Promise<RegExpExecArray> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const match = pattern.exec(this.text.slice(from));
      if (match) return match;
      if (Date.now() > end)
        throw new Error(
          `timed out after ${timeoutMs} ms waiting for ${pattern}; the shell printed:\n${this.text.slice(from).slice(-4000)}`,
        );
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  count(pattern: RegExp): number {
    return [...this.text.matchAll(new RegExp(pattern.source, `${pattern.flags.replace('g', '')}g`))].length;
  }
}

/** The number the shell printed for a button of the post that `postText` starts. */
export function buttonNumber(postText: string, label: string): string {
  const match = new RegExp(`\\[(\\d+)\\] ${label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(\\s|$)`).exec(
    postText,
  );
  if (!match?.[1]) throw new Error(`no button ${label} in:\n${postText}`);
  return match[1];
}

export interface AmSilence {
  id: string;
  matchers: { name: string; value: string; isRegex: boolean; isEqual: boolean }[];
  createdBy: string;
  comment: string;
  startsAt: string;
  endsAt: string;
  status: { state: string };
}

export async function amSilence(env: StackEnv, id: string): Promise<AmSilence> {
  const response = await fetch(`${env.ALERTMANAGER_URL}/api/v2/silence/${id}`);
  if (!response.ok) throw new Error(`GET silence ${id}: ${response.status}`);
  return (await response.json()) as AmSilence;
}

export async function amSilences(env: StackEnv): Promise<AmSilence[]> {
  return (await (await fetch(`${env.ALERTMANAGER_URL}/api/v2/silences`)).json()) as AmSilence[];
}

export async function expireSilence(env: StackEnv, id: string): Promise<void> {
  await fetch(`${env.ALERTMANAGER_URL}/api/v2/silence/${id}`, { method: 'DELETE' });
}

/** Pushes alerts straight into the real Alertmanager, as Prometheus would. */
export async function pushAlerts(
  env: StackEnv,
  alerts: { labels: Record<string, string>; annotations?: Record<string, string>; endsAt?: string }[],
): Promise<void> {
  const response = await fetch(`${env.ALERTMANAGER_URL}/api/v2/alerts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    // A few seconds back, so resolving one (endsAt: now) keeps its start before its end.
    body: JSON.stringify(alerts.map((a) => ({ startsAt: new Date(Date.now() - 5000).toISOString(), ...a }))),
  });
  if (!response.ok) throw new Error(`POST alerts: ${response.status} ${await response.text()}`);
}

export async function setFlag(env: StackEnv, value: 0 | 1): Promise<void> {
  const response = await fetch(`${env.EXPORTER_URL}/flag/${value}`, { method: 'POST' });
  if (!response.ok) throw new Error(`exporter flag: ${response.status}`);
}

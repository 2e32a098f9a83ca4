/**
 * A burst through the real Alertmanager: many new groups at once. Past the storm threshold the
 * channel gets one summary post, updated as the storm grows, instead of a post per group; every
 * alert is still stored and delivered from the outbox.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Bot, startBot } from '../../../src/main.js';
import { loadStackEnv } from '../../stack/env.js';
import { pushAlerts, Transcript, writeBotConfig } from './support.js';

const env = loadStackEnv();
const shell = new Transcript();
const run = Math.random().toString(36).slice(2, 10);
const GROUPS = 60;
const THRESHOLD = 10;
let bot: Bot;

const labels = (i: number) => ({
  alertname: i % 4 === 0 ? 'CoxswainStormNodeDown' : 'CoxswainStormPodCrash',
  cluster: 'infra',
  namespace: `storm-${run}-${i}`,
  severity: 'warning',
});

beforeAll(async () => {
  const { path } = writeBotConfig(env, { storm: { threshold: THRESHOLD, window: '1m' } });
  bot = await startBot({
    shell: true,
    port: Number(env.BOT_PORT),
    input: shell.input,
    output: shell.output,
    configPath: path,
    env: {},
  });
});

afterAll(async () => {
  await pushAlerts(
    env,
    Array.from({ length: GROUPS }, (_, i) => ({ labels: labels(i), endsAt: new Date().toISOString() })),
  ).catch(() => undefined); // cleanup only
  shell.input.end();
  await bot?.stop();
});

describe('an alert storm', () => {
  it('posts the first groups, then one summary for the rest, and stores every alert', async () => {
    await pushAlerts(
      env,
      Array.from({ length: GROUPS }, (_, i) => ({
        labels: labels(i),
        annotations: { summary: `storm ${i}` },
        endsAt: new Date(Date.now() + 600_000).toISOString(),
      })),
    );
    const mine = async () =>
      (await bot.store.dueOutbox(Number.MAX_SAFE_INTEGER, 100_000)).filter((r) =>
        r.groupKey.includes(`storm-${run}`),
      );
    // Every group arrives (Alertmanager sends one webhook per group) and is delivered.
    const end = Date.now() + 60_000;
    for (;;) {
      const summary = /\[#alerts\] ✖ Alert storm\n|\(updated post \d+\) ✖ Alert storm\n/g;
      const counted = [...shell.text.matchAll(/(\d+) alerts in (\d+) groups since/g)].map((m) =>
        Number(m[2]),
      );
      const posts = shell.count(/\[#alerts\] ⚠ FIRING: CoxswainStorm/);
      if (
        posts + Math.max(0, ...counted) >= GROUPS &&
        (await mine()).length === 0 &&
        summary.test(shell.text)
      )
        break;
      if (Date.now() > end) throw new Error(`storm not settled:\n${shell.text.slice(-3000)}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    // Other groups the stack sends to #alerts (left over from other tests) count toward the
    // threshold too: it is about how many new posts a channel gets.
    expect(shell.count(/\[#alerts\] . (FIRING|RESOLVED)/)).toBe(THRESHOLD);
    expect(shell.count(/\[#alerts\] ✖ Alert storm\n/)).toBe(1);
    const [, alerts, groups] = [...shell.text.matchAll(/(\d+) alerts in (\d+) groups since/g)].at(-1) ?? [];
    const posted = shell.count(/\[#alerts\] ⚠ FIRING: CoxswainStorm/);
    expect(Number(groups)).toBeGreaterThanOrEqual(GROUPS - posted);
    expect(Number(alerts)).toBeGreaterThanOrEqual(GROUPS - posted);
    expect(shell.text).toMatch(/top: CoxswainStormPodCrash \(\d+\), CoxswainStormNodeDown \(\d+\)/);
  });
});

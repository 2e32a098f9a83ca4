/**
 * The whole bot (shell adapter, so it leads itself) with `operations.drills.schedules` in its
 * config: the operations feature starts the schedule, node-cron fires it, the drill runs on the
 * stack's apps cluster through the bot's own kubeconfig (read-only token, writes impersonating
 * coxswain-operator) and the report is printed as a post in the schedule's channel.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { type Bot, startBot } from '../../../src/main.js';
import { loadStackEnv } from '../../stack/env.js';
import { Transcript } from '../alerts/support.js';
import { applyRbac, botKubeConfig, mintToken } from '../rbac/identities.js';

const dir = mkdtempSync(join(tmpdir(), 'coxswain-drill-bot-'));
const shell = new Transcript();
let bot: Bot | undefined;
let fireAt = 0;

/** A six-field cron expression that matches once a day: `seconds` from now, in UTC. */
function cronIn(seconds: number): string {
  const at = new Date(Date.now() + seconds * 1000);
  fireAt = at.getTime() - at.getMilliseconds();
  return `${at.getUTCSeconds()} ${at.getUTCMinutes()} ${at.getUTCHours()} * * *`;
}

beforeAll(async () => {
  const env = loadStackEnv();
  applyRbac(env, 'apps');
  const kubeconfig = join(dir, 'apps.kubeconfig');
  writeFileSync(kubeconfig, botKubeConfig(env, 'apps', mintToken(env, 'apps')).exportConfig());
  const configPath = join(dir, 'coxswain.yaml');
  writeFileSync(
    configPath,
    stringify({
      store: { sqlite: { path: join(dir, 'coxswain.db') } },
      clusters: [{ name: 'apps', kubeconfig }],
      operations: {
        drills: {
          interval: '1s',
          // Far enough ahead for the bot to start; it matches once a day.
          schedules: [{ name: 'weekly-pod', drill: 'pod-kill', cron: cronIn(15), channel: 'drills' }],
        },
      },
    }),
  );
  bot = await startBot({ shell: true, input: shell.input, output: shell.output, configPath, env: {} });
});

afterAll(async () => {
  shell.input.end();
  await bot?.stop();
});

describe('a scheduled drill in the running bot', () => {
  it('fires on its cron and posts the drill, its steps and its report in the channel', async () => {
    // Otherwise the cron time passed before the bot was up, and it would fire only tomorrow.
    expect(Date.now(), 'the bot took longer to start than the schedule was ahead').toBeLessThan(fireAt);
    await shell.waitFor(/Scheduled Drill pod-kill on apps: passed/, 120_000);
    const text = shell.text;
    expect(text).toMatch(/\[#drills\][^\n]*Drill pod-kill on apps \(harbor\/harbor-core\)/);
    expect(text).toMatch(/Deleted pod `harbor-core-[^`]+` as coxswain-operator/);
    expect(text).toMatch(/PASSED: recovered in \S+ \(objective 1m\)/);
    expect(text).toContain('schedule:weekly-pod');
  });
});

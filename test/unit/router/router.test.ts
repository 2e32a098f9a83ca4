import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { allGroups } from '../../../commands/index.js';
import { commandPath } from '../../../src/router/spec.js';
import { createHarness, type Harness } from '../../support/router-harness.js';

let h: Harness;
beforeEach(async () => {
  h = await createHarness();
});
afterEach(() => h.close());

describe('router: unknown commands', () => {
  it('suggests the closest command group', async () => {
    const r = await h.run('victor', 'helth');
    expect(r.texts[0]).toContain("I don't know the command `helth`");
    expect(r.texts[0]).toContain('Did you mean `/ops health`?');
  });

  it('suggests the closest command inside a group and lists the group', async () => {
    const r = await h.run('alice', 'drill rn node-drain');
    expect(r.texts[0]).toContain('`/ops drill` has no command `rn`');
    expect(r.texts[0]).toContain('Did you mean `/ops drill run`?');
    expect(r.texts[0]).toContain('/ops drill list');
  });

  it('lists the commands when nothing is close', async () => {
    const r = await h.run('victor', 'xyzzyq');
    expect(r.texts[0]).toBe(
      "I don't know the command `xyzzyq`. Did you mean one of `health`, `mesh`, `get`, `describe`, `events`, `logs`, `rollout`, `scale`, `flux`, `phase`, `drill`, `alerts`, `silence`, `maintenance`, `incident`, `oncall`, `audit`, `help`? Type `/ops help` for the list.",
    );
  });

  it('asks for a subcommand when a group needs one', async () => {
    const r = await h.run('victor', 'silence');
    expect(r.texts[0]).toContain('`/ops silence` needs a command');
  });

  it('answers an empty command with a pointer to help', async () => {
    const r = await h.run('victor', '   ');
    expect(r.texts[0]).toContain('/ops help');
  });
});

describe('router: argument validation', () => {
  it('answers wrong arguments with the problem and the usage of that command', async () => {
    const r = await h.run('alice', 'audit --limit many');
    expect(r.texts[0]).toContain('--limit must be a number');
    expect(r.texts[0]).toContain(
      'Usage: `/ops audit [--user U] [--since D] [--limit N] [--output json|yaml]`',
    );
  });

  it('names unknown options', async () => {
    const r = await h.run('alice', 'audit --usr bob');
    expect(r.texts[0]).toContain('Unknown option --usr');
  });

  it('checks durations', async () => {
    const r = await h.run('alice', 'audit --since yesterday');
    expect(r.texts[0]).toContain('--since needs a duration like 30m or 2h, not "yesterday"');
  });

  it('checks required positionals and options', async () => {
    const r = await h.run('olivia', 'silence add alertname=X --comment "planned"');
    expect(r.texts[0]).toContain('--for needs a duration');
    const r2 = await h.run('alice', 'drill run');
    expect(r2.texts[0]).toContain('<drill> is required');
  });

  it('checks Kubernetes names before anything else runs', async () => {
    const r = await h.run('alice', 'drill plan node-drain --node Apps_02');
    expect(r.texts[0]).toContain('--node must be a Kubernetes name');
  });

  it('checks choices', async () => {
    const r = await h.run('victor', 'health --component mongo');
    expect(r.texts[0]).toContain('--component must be one of nodes, workloads');
  });

  it('refuses extra words', async () => {
    const r = await h.run('victor', 'mesh now please');
    expect(r.texts[0]).toContain('Unexpected argument "now"');
  });

  it('refuses prototype keys as options', async () => {
    const r = await h.run('alice', 'audit --__proto__ x --constructor y');
    expect(r.texts[0]).toMatch(/Unknown option --(__proto__|constructor)/);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });
});

describe('router: engines not built yet', () => {
  it('says the command is not available and does nothing', async () => {
    // A spec without `run`, whichever engines this build has.
    await h.close();
    h = await createHarness({
      groups: allGroups().map((g) => ({ ...g, commands: g.commands.map(({ run: _run, ...spec }) => spec) })),
    });
    const r = await h.run('victor', 'health');
    expect(r.texts[0]).toContain('`/ops health` is not available yet');
    expect(r.texts[0]).toContain('Nothing was done');
    const [entry] = await h.store.listAudit({});
    expect(entry?.outcome).toBe('unavailable');
  });
});

describe('help', () => {
  it('lists every command of every group, generated from the specs', async () => {
    const r = await h.run('nobody', 'help');
    const text = r.texts[0] ?? '';
    for (const group of allGroups()) {
      expect(text).toContain(`**/ops ${group.name}**`);
      for (const spec of group.commands) expect(text).toContain(`/ops ${commandPath(spec)}`);
    }
  });

  it('shows one command with its options, role and confirmation', async () => {
    const r = await h.run('nobody', 'help drill run');
    const text = r.texts[0] ?? '';
    expect(text).toContain('`/ops drill run <drill> [--cluster C]');
    expect(text).toContain('Needs role: admin; asks for confirmation');
    expect(text).toContain('`--dry-run` show what would be done');
  });

  it('suggests when the topic is misspelt', async () => {
    const r = await h.run('nobody', 'help silense');
    expect(r.texts[0]).toContain('Did you mean `/ops help silence`?');
  });

  it('uses the configured command word', async () => {
    const other = await createHarness({ config: { command: '/coxswain' } });
    const r = await other.run('nobody', 'help audit');
    expect(r.texts[0]).toContain('`/coxswain audit');
    await other.close();
  });
});

describe('audit', () => {
  it('records every invocation: allowed, denied, invalid, unknown', async () => {
    await h.run('victor', 'help');
    await h.run('victor', 'audit');
    await h.run('victor', 'audit --limit x');
    await h.run('victor', 'nosuch');
    const entries = await h.store.listAudit({ limit: 10 });
    expect(entries.map((e) => [e.username, e.command, e.outcome]).reverse()).toEqual([
      ['victor', 'help', 'ok'],
      ['victor', 'audit', 'denied'],
      ['victor', 'audit', 'invalid'],
      ['victor', 'unknown', 'unknown'],
    ]);
    expect(entries[0]?.detail).toBe('unknown command nosuch');
    expect(entries.every((e) => e.requestId.startsWith('r') && e.channelName === 'ops')).toBe(true);
  });

  it('shows recent entries to admins, filtered by user and age', async () => {
    await h.run('victor', 'help');
    h.clock.now += 2 * 3_600_000;
    await h.run('olivia', 'help');
    const r = await h.run('alice', 'audit --user olivia --since 1h');
    const text = r.last?.message.text ?? '';
    expect(text).toContain('| olivia |');
    expect(text).not.toContain('| victor |');
  });

  it('counts commands by outcome in the metrics', async () => {
    await h.run('victor', 'help');
    await h.run('victor', 'audit');
    const metrics = await h.metrics.registry.getSingleMetricAsString('coxswain_commands_total');
    expect(metrics).toContain('coxswain_commands_total{command="help",outcome="ok"} 1');
    expect(metrics).toContain('coxswain_commands_total{command="audit",outcome="denied"} 1');
  });
});

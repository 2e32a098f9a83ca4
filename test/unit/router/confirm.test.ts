/**
 * Dangerous commands: Confirm/Cancel bound to the invoker, single use, expiring; and the
 * optional approval by a second person who holds the command's role.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { CommandGroup } from '../../../src/router/spec.js';
import { createHarness, type Harness } from '../../support/router-harness.js';

function launcherGroup(ran: string[]): CommandGroup {
  return {
    name: 'launch',
    summary: 'a dangerous test command',
    commands: [
      {
        group: 'launch',
        summary: 'launch',
        positionals: [{ name: 'target', description: 't', required: true }],
        options: { 'dry-run': { type: 'boolean', description: 'd' } },
        permission: 'drill:run',
        dangerous: (args) => args['dry-run'] !== true,
        visibility: 'in_channel',
        run: async (ctx) => {
          ran.push(`${ctx.user.username}:${String(ctx.args.target)}`);
          await ctx.reply(`launched ${String(ctx.args.target)}`);
        },
      },
    ],
  };
}

let h: Harness;
afterEach(() => h.close());

async function setup(config: Record<string, unknown> = {}) {
  const ran: string[] = [];
  h = await createHarness({ groups: [launcherGroup(ran)], config });
  return ran;
}

describe('confirmation', () => {
  it('asks first, and runs only after the same user confirms', async () => {
    const ran = await setup();
    const asked = await h.run('alice', 'launch rocket');
    expect(ran).toEqual([]);
    expect(asked.last?.visibility).toBe('ephemeral');
    expect(asked.last?.message.text).toContain('Run `/ops launch rocket`?');
    const done = await h.click('alice', asked.last, 'Confirm');
    expect(ran).toEqual(['alice:rocket']);
    expect(done.answers.find((a) => a.visibility === 'update')?.message.text).toContain(
      'Confirmed by @alice',
    );
    expect(
      done.answers.some((a) => a.message.text === 'launched rocket' && a.visibility === 'in_channel'),
    ).toBe(true);
  });

  it('skips confirmation where the spec says the arguments are safe', async () => {
    const ran = await setup();
    await h.run('alice', 'launch rocket --dry-run');
    expect(ran).toEqual(['alice:rocket']);
  });

  it('refuses a confirmation by anyone else', async () => {
    const ran = await setup();
    const asked = await h.run('alice', 'launch rocket');
    const other = await h.click('adam', asked.last, 'Confirm');
    expect(other.texts[0]).toBe('Only @alice, who ran the command, can confirm or cancel it.');
    expect(ran).toEqual([]);
  });

  it('refuses reuse: a second click does not run twice', async () => {
    const ran = await setup();
    const asked = await h.run('alice', 'launch rocket');
    await h.click('alice', asked.last, 'Confirm');
    const again = await h.click('alice', asked.last, 'Confirm');
    expect(again.texts[0]).toBe('That request was already used.');
    expect(ran).toEqual(['alice:rocket']);
  });

  it('refuses an expired confirmation', async () => {
    const ran = await setup();
    const asked = await h.run('alice', 'launch rocket');
    h.clock.now += 121_000;
    const late = await h.click('alice', asked.last, 'Confirm');
    expect(late.texts[0]).toBe('That request has expired; run the command again.');
    expect(ran).toEqual([]);
  });

  it('cancels, and a cancelled request cannot be confirmed after', async () => {
    const ran = await setup();
    const asked = await h.run('alice', 'launch rocket');
    const cancelled = await h.click('alice', asked.last, 'Cancel');
    expect(cancelled.texts.at(-1)).toContain('Cancelled: `/ops launch rocket`. Nothing was done.');
    const after = await h.click('alice', asked.last, 'Confirm');
    expect(after.texts[0]).toBe('That request was already cancelled.');
    expect(ran).toEqual([]);
  });

  it('re-checks the role when the confirmed command is replayed', async () => {
    const ran = await setup();
    // A viewer is denied before any confirmation is offered.
    const denied = await h.run('victor', 'launch rocket');
    expect(denied.texts[0]).toContain('needs the admin role');
    expect(ran).toEqual([]);
  });

  it('audits each step', async () => {
    await setup();
    const asked = await h.run('alice', 'launch rocket');
    await h.click('alice', asked.last, 'Confirm');
    const steps = (await h.store.listAudit({})).map((e) => [e.command, e.outcome]).reverse();
    // The command (asked, then run by the replay), and the click that confirmed it.
    expect(steps).toEqual([
      ['launch', 'awaiting-confirmation'],
      ['launch', 'ok'],
      ['button router.confirm', 'ok'],
    ]);
  });
});

describe('second-person approval', () => {
  it('needs someone else with the role, then runs as the requester', async () => {
    const ran = await setup({ approvals: { required: ['launch'] } });
    const asked = await h.run('alice', 'launch rocket');
    const confirmed = await h.click('alice', asked.last, 'Confirm');
    const request = confirmed.answers.find((a) => a.message.title === 'Approval needed');
    expect(request?.visibility).toBe('in_channel');
    expect(ran).toEqual([]);

    const self = await h.click('alice', request, 'Approve');
    expect(self.texts[0]).toBe('You cannot approve your own command; someone else must.');
    const operator = await h.click('olivia', request, 'Approve');
    expect(operator.texts[0]).toBe(
      'Approving this command needs the admin role, and you have the operator role here; ask an admin to bind you to admin in auth.bindings.',
    );
    expect(ran).toEqual([]);

    await h.click('adam', request, 'Approve');
    expect(ran).toEqual(['alice:rocket']);
    const [last] = await h.store
      .listAudit({ limit: 2 })
      .then((rows) => rows.filter((e) => e.command === 'launch'));
    expect(last?.detail).toBe('approved by adam');
    const clicks = (await h.store.listAudit({})).filter((e) => e.command === 'button router.approve');
    expect(clicks.map((e) => [e.username, e.outcome]).reverse()).toEqual([
      ['alice', 'denied'],
      ['olivia', 'denied'],
      ['adam', 'ok'],
    ]);
  });

  it('a rejection ends the request', async () => {
    const ran = await setup({ approvals: { required: ['launch'] } });
    const asked = await h.run('alice', 'launch rocket');
    const confirmed = await h.click('alice', asked.last, 'Confirm');
    const request = confirmed.answers.find((a) => a.message.title === 'Approval needed');
    await h.click('adam', request, 'Reject');
    const late = await h.click('adam', request, 'Approve');
    expect(late.texts[0]).toBe('That request was already rejected.');
    expect(ran).toEqual([]);
  });
});

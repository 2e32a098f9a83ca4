/**
 * Every button and form the bot registers, against every role (and no role): each click and
 * submission is audited, and refused exactly below the least role this file's own table names.
 * The list comes from a real bot (startBot in the shell, in-memory SQLite), so a new button
 * without a row here fails the first test; its specs are then run through the router's action
 * chain with the test bindings (the shell itself gives everyone one fixed role).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../../../src/auth/config-schema.js';
import { BindingRoleResolver } from '../../../src/auth/roles.js';
import { type Bot, startBot } from '../../../src/main.js';
import type { ActionEvent, DialogSubmission } from '../../../src/ports.js';
import { ActionRouter } from '../../../src/router/actions.js';
import { RecordingResponder, TEST_BINDINGS, user } from '../../support/router-harness.js';

/**
 * The least role each button needs, written out here rather than read from the permission
 * table: undefined means anyone may click (Confirm and Cancel check it is the requester, the
 * replay checks the command's role again).
 */
const ACTIONS: Record<string, Role | undefined> = {
  'alert.silence': 'operator',
  'alert.silence.form': 'operator',
  'alert.ack': 'operator',
  'incident.open': 'operator',
  'router.confirm': undefined,
  'router.cancel': undefined,
  'router.reject': undefined,
  // Approving needs the role of the command asked for: see APPROVALS.
  'router.approve': undefined,
};

const DIALOGS: Record<string, Role | undefined> = {
  'alert.silence.dialog': 'operator',
  'incident.open.dialog': 'operator',
};

/** Approve, for a pending request of each of these commands, needs this role. */
const APPROVALS: [command: string, least: Role][] = [
  ['drill run pod-kill --cluster apps --namespace a --workload b', 'admin'],
  ['incident open "disk full" --sev 2', 'operator'],
];

const PEOPLE: [username: string, role: Role | undefined][] = [
  ['mallory', undefined],
  ['victor', 'viewer'],
  ['olivia', 'operator'],
  ['alice', 'admin'],
];
const RANK: Record<string, number> = { none: 0, viewer: 1, operator: 2, admin: 3 };
const below = (role: Role | undefined, least: Role | undefined) =>
  least !== undefined && RANK[role ?? 'none']! < RANK[least]!;

let bot: Bot;
let chain: ActionRouter;
let dir: string;
let request = 0;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'coxswain-action-authz-'));
  const configPath = join(dir, 'coxswain.yaml');
  writeFileSync(configPath, `store:\n  sqlite:\n    path: ${join(dir, 'store.db')}\n`);
  bot = await startBot({
    shell: true,
    configPath,
    input: new PassThrough(),
    output: new PassThrough(),
    interactive: false,
    env: {},
  });
  // The bot's own specs on the same chain, with role bindings the shell does not have.
  chain = new ActionRouter({
    roles: new BindingRoleResolver(TEST_BINDINGS),
    store: bot.store,
    log: pino({ level: 'silent' }),
    now: Date.now,
  });
  for (const spec of bot.router.actions.actions) chain.action(spec);
  for (const spec of bot.router.actions.dialogs) chain.dialog(spec);
});

afterAll(async () => {
  await bot?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function click(username: string, action: string, payload: Record<string, string>) {
  const event: ActionEvent & { responder: RecordingResponder } = {
    platform: 'shell',
    user: user(username),
    channel: { id: 'c1', name: 'ops' },
    action,
    payload,
    requestId: `authz-${++request}`,
    responder: new RecordingResponder(),
  };
  return event;
}

async function auditOf(requestId: string) {
  const rows = await bot.store.listAudit({ limit: 20 });
  return rows.filter((row) => row.requestId === requestId);
}

describe('the registered buttons and forms', () => {
  it('are exactly the ones this table names', () => {
    expect(bot.router.actions.actions.map((s) => s.action).sort()).toEqual(Object.keys(ACTIONS).sort());
    expect(bot.router.actions.dialogs.map((s) => s.action).sort()).toEqual(Object.keys(DIALOGS).sort());
  });
});

describe('a button or form no spec answers', () => {
  it('runs nothing, says so, and is audited as unknown', async () => {
    const event = click('alice', 'alert.retired', { group: 'g' });
    await chain.dispatch(event);
    expect(event.responder.texts).toEqual([
      'That button no longer does anything in this version of coxswain.',
    ]);
    const submission: DialogSubmission = { ...click('alice', 'form.retired', {}), values: {} };
    expect((await chain.submit(submission))?.error).toContain('This form no longer does anything');
    const rows = [...(await auditOf(event.requestId)), ...(await auditOf(submission.requestId))];
    expect(rows.map((a) => [a.command, a.outcome])).toEqual([
      ['button alert.retired', 'unknown'],
      ['button form.retired', 'unknown'],
    ]);
  });
});

describe.each(PEOPLE)('as %s (%s)', (username, role) => {
  it.each(Object.entries(ACTIONS).filter(([action]) => action !== 'router.approve'))(
    'button %s',
    async (action, least) => {
      const event = click(username, action, { group: 'no-such-group', for: '1h', id: 'no-such-request' });
      await chain.dispatch(event);
      const audit = await auditOf(event.requestId);
      expect(audit.map((a) => [a.username, a.command])).toEqual([[username, `button ${action}`]]);
      if (below(role, least)) {
        expect(audit[0]?.outcome).toBe('denied');
        expect(event.responder.texts).toEqual([
          expect.stringContaining(`needs the ${least} role, and you have`),
        ]);
      } else {
        expect(audit[0]?.outcome).not.toBe('denied');
        expect(event.responder.texts.join('\n')).not.toContain('needs the');
      }
    },
  );

  it.each(APPROVALS)('button router.approve of %s', async (command, least) => {
    const id = `approval-${++request}`;
    await bot.store.createConfirmation({
      id,
      kind: 'approve',
      platform: 'shell',
      userId: 'id-requester',
      username: 'requester',
      userGroups: [],
      channelId: 'c1',
      channelName: 'ops',
      text: command,
      state: 'pending',
      createdAt: Date.now(),
      expiresAt: Date.now() + 60_000,
    });
    const event = click(username, 'router.approve', { id });
    await chain.dispatch(event);
    const [entry] = (await auditOf(event.requestId)).filter((a) => a.command === 'button router.approve');
    expect(entry?.username).toBe(username);
    const stored = await bot.store.getConfirmation(id);
    if (below(role, least)) {
      expect(entry?.outcome).toBe('denied');
      expect(event.responder.texts[0]).toContain(`needs the ${least} role, and you have`);
      expect(stored?.state).toBe('pending');
    } else {
      expect(entry?.outcome).toBe('ok');
      expect(stored?.state).toBe('done');
    }
  });

  it.each(Object.entries(DIALOGS))('form %s', async (action, least) => {
    const submission: DialogSubmission = {
      ...click(username, action, { group: 'no-such-group' }),
      values: { title: '', sev: '', for: '', matchers: '', comment: '' },
    };
    const answer = await chain.submit(submission);
    const audit = await auditOf(submission.requestId);
    expect(audit.map((a) => [a.username, a.command])).toEqual([[username, `button ${action}`]]);
    if (below(role, least)) {
      expect(audit[0]?.outcome).toBe('denied');
      expect(answer?.error).toContain(`needs the ${least} role, and you have`);
    } else {
      // Past the role check, the empty fields are what is wrong.
      expect(audit[0]?.outcome).toBe('invalid');
      expect(Object.keys(answer?.errors ?? {}).length).toBeGreaterThan(0);
    }
  });
});

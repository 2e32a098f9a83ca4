/**
 * The incident form: `incident open` without a title opens it where the chat has dialogs, and
 * its submission opens the room as the submitter, through the real router, the real engine and
 * an in-memory SQLite store; the chat is a recorder with rooms and dialogs.
 */
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { allGroups } from '../../../commands/index.js';
import { BindingRoleResolver } from '../../../src/auth/roles.js';
import { type Config, configSchema } from '../../../src/config/schema.js';
import { incidentActions } from '../../../src/incidents/actions.js';
import { IncidentEngine } from '../../../src/incidents/engine.js';
import {
  INCIDENT_DIALOG_ACTION,
  incidentDialog,
  readIncidentForm,
} from '../../../src/incidents/open-dialog.js';
import type { Message } from '../../../src/message.js';
import { createMetrics } from '../../../src/metrics.js';
import type {
  ChatPort,
  Destination,
  Dialog,
  DialogSubmission,
  DialogTrigger,
  PostRef,
  Room,
  RoomsCapability,
} from '../../../src/ports.js';
import { Router } from '../../../src/router/router.js';
import type { Services } from '../../../src/services.js';
import { SqlStore } from '../../../src/store/sql-store.js';
import { SqliteDriver } from '../../../src/store/sqlite-driver.js';
import { RecordingResponder } from '../../support/router-harness.js';
import { testServices } from '../../support/services.js';

const NOW = Date.UTC(2026, 10, 23, 12, 0, 0);

class Chat implements ChatPort {
  readonly platform = 'test';
  readonly created: string[] = [];
  readonly posts: { channelId: string; message: Message }[] = [];
  readonly opened: { trigger: DialogTrigger; dialog: Dialog }[] = [];
  rooms: RoomsCapability = {
    create: async (name): Promise<Room> => {
      this.created.push(name);
      return { channelId: `id-${name}`, name };
    },
    invite: async () => ({ skipped: [] }),
    pin: async () => {},
    archive: async () => {},
    attach: async (room, _file, message) => this.post(room, message),
  };
  dialogs = {
    open: async (trigger: DialogTrigger, dialog: Dialog) => {
      this.opened.push({ trigger, dialog });
    },
  };
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  isReady(): boolean {
    return true;
  }
  async resolveChannel(name: string): Promise<Destination> {
    return { channelId: `id-${name}` };
  }
  async post(destination: Destination, message: Message): Promise<PostRef> {
    this.posts.push({ channelId: destination.channelId, message });
    return { platform: 'test', channelId: destination.channelId, postId: `p${this.posts.length}` };
  }
  async update(): Promise<void> {}
}

describe('the incident form', () => {
  it('asks for title, severity (default from config or --sev) and a configured cluster', () => {
    const dialog = incidentDialog({ clusters: ['infra', 'apps'], defaultSeverity: 3, expiresAt: NOW });
    expect(dialog.action).toBe(INCIDENT_DIALOG_ACTION);
    expect(dialog.elements.map((e) => [e.name, e.type, e.default, e.optional ?? false])).toEqual([
      ['title', 'text', undefined, false],
      ['sev', 'select', '3', false],
      ['cluster', 'select', undefined, true],
    ]);
    expect(dialog.elements[2]?.options?.map((o) => o.value)).toEqual(['infra', 'apps']);
    const prefilled = incidentDialog({
      title: 'db down',
      severity: 1,
      cluster: 'x',
      clusters: [],
      defaultSeverity: 3,
      expiresAt: NOW,
    });
    expect(prefilled.elements.map((e) => [e.name, e.type, e.default])).toEqual([
      ['title', 'text', 'db down'],
      ['sev', 'select', '1'],
      ['cluster', 'text', 'x'],
    ]);
  });

  it('reads a submission, or says per field what is wrong', () => {
    expect(
      readIncidentForm({ title: '  postgres   failover loop ', sev: '2', cluster: 'infra' }, ['infra']),
    ).toEqual({
      title: 'postgres failover loop',
      severity: 2,
      cluster: 'infra',
    });
    expect(readIncidentForm({ title: 'x', sev: '1', cluster: '' }, ['infra'])).toEqual({
      title: 'x',
      severity: 1,
    });
    expect(readIncidentForm({ title: ' ', sev: '5', cluster: 'mars' }, ['infra', 'apps'])).toEqual({
      errors: {
        title: 'Say in a few words what is wrong.',
        sev: 'Pick a severity from SEV1 to SEV4.',
        cluster: 'Not a configured cluster; pick one of infra, apps.',
      },
    });
    expect(readIncidentForm({ title: 'x', sev: '1', cluster: 'Bad_Name' }, [])).toEqual({
      errors: { cluster: expect.stringContaining('must be a Kubernetes name') },
    });
  });
});

describe('incident open without a title, and the form’s submission', () => {
  let store: SqlStore;
  let chat: Chat;
  let config: Config;
  let services: Services;
  let router: Router;
  let actions: Router['actions'];
  const trigger: DialogTrigger = { platform: 'test', id: 't1', userId: 'u-olivia', channelId: 'c1' };

  beforeEach(async () => {
    store = new SqlStore(new SqliteDriver(':memory:'));
    await store.migrate();
    chat = new Chat();
    config = configSchema.parse({
      auth: {
        bindings: [
          { role: 'operator', users: ['olivia'] },
          { role: 'viewer', users: ['victor'] },
        ],
      },
    });
    const roles = new BindingRoleResolver(config.auth.bindings);
    const log = pino({ level: 'silent' });
    const engine = new IncidentEngine({
      incidents: config.incidents,
      oncall: config.oncall,
      store,
      chat,
      log,
      now: () => NOW,
    });
    services = testServices({
      config,
      store,
      now: () => NOW,
      incidents: engine,
      dialogs: chat.dialogs,
    });
    router = new Router({
      trigger: config.command,
      groups: allGroups(),
      roles,
      store,
      services,
      metrics: createMetrics({ defaults: false }),
      log,
      confirmExpiryMs: 120_000,
      approvalExpiryMs: 900_000,
      approvalsRequired: [],
      now: () => NOW,
    });
    // The feature's specs on the router's action chain, as main.ts wires them.
    actions = router.actions;
    const specs = incidentActions({ store, config }, engine);
    for (const spec of specs.actions) actions.action(spec);
    for (const spec of specs.dialogs) actions.dialog(spec);
  });
  afterEach(() => store.close());

  async function run(username: string, text: string, withTrigger: boolean) {
    const responder = new RecordingResponder();
    const invocation: Parameters<Router['handle']>[0] = {
      platform: 'test',
      user: { id: `u-${username}`, username, groups: [] },
      channel: { id: 'c1', name: 'platform' },
      text,
      requestId: 'r1',
      responder,
    };
    if (withTrigger) invocation.trigger = trigger;
    await router.handle(invocation);
    return responder;
  }

  function submission(
    username: string,
    values: Record<string, string>,
  ): DialogSubmission & { responder: RecordingResponder } {
    return {
      platform: 'test',
      user: { id: `u-${username}`, username, groups: [] },
      channel: { id: 'c1', name: 'platform' },
      action: INCIDENT_DIALOG_ACTION,
      payload: {},
      values,
      requestId: 'r2',
      responder: new RecordingResponder(),
    };
  }

  it('opens the form where the chat has dialogs, carrying --sev', async () => {
    const responder = await run('olivia', 'incident open --sev 2', true);
    expect(chat.opened).toHaveLength(1);
    expect(chat.opened[0]?.trigger).toEqual(trigger);
    expect(chat.opened[0]?.dialog.elements.find((e) => e.name === 'sev')?.default).toBe('2');
    expect(chat.created).toEqual([]);
    expect(responder.answers).toEqual([]);
  });

  it('still asks for a title where it cannot show a form, and opens nothing', async () => {
    const responder = await run('olivia', 'incident open', false);
    expect(responder.texts.join('\n')).toContain('An incident needs a title');
    expect(chat.opened).toEqual([]);
    expect(chat.created).toEqual([]);
  });

  it('does not show the form to someone who may not open incidents', async () => {
    const responder = await run('victor', 'incident open', true);
    expect(responder.texts.join('\n')).toContain('needs the operator role');
    expect(chat.opened).toEqual([]);
  });

  it('opens the room from a submission, as the submitter, with the notice in the channel', async () => {
    const form = submission('olivia', { title: 'postgres failover loop', sev: '2', cluster: '' });
    const answer = await actions.submit(form);
    expect(answer).toBeUndefined();
    expect(chat.created).toHaveLength(1);
    expect(chat.created[0]).toContain('postgres-failover-loop');
    const [incident] = await store.listIncidents({});
    expect(incident).toMatchObject({ title: 'postgres failover loop', severity: 2, commander: 'olivia' });
    expect(form.responder.last?.visibility).toBe('in_channel');
    expect(form.responder.last?.message.text).toContain('postgres failover loop');
    const [entry] = await store.listAudit({ username: 'olivia' });
    expect(entry).toMatchObject({ command: 'button incident.open.dialog', outcome: 'ok' });
  });

  it('refuses a viewer’s submission and answers field errors; opens nothing', async () => {
    const denied = await actions.submit(submission('victor', { title: 'x', sev: '1' }));
    expect(denied?.error).toContain('needs the operator role, and you have the viewer role');
    const wrong = await actions.submit(submission('olivia', { title: '', sev: '9' }));
    expect(Object.keys(wrong?.errors ?? {})).toEqual(['title', 'sev']);
    expect(chat.created).toEqual([]);
  });
});

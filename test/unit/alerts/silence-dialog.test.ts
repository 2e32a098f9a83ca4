/**
 * The `Silence…` form: its fields, how a submission is read, the command offered where there are
 * no dialogs (run back through the real router), and the button and submission handlers with
 * their role checks. Alertmanager and the alert delivery are recording stand-ins here; the real
 * ones are driven in test/integration/mattermost/silence-dialog.test.ts.
 */
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { allGroups } from '../../../commands/index.js';
import { alertActions } from '../../../src/alerts/actions.js';
import {
  type AlertmanagerApi,
  AlertmanagerDirectory,
  type SilenceSpec,
} from '../../../src/alerts/alertmanager-api.js';
import type { AlertDelivery } from '../../../src/alerts/delivery.js';
import type { GroupSilence, GroupState } from '../../../src/alerts/group.js';
import { ALERT_ACTIONS, renderGroup } from '../../../src/alerts/render.js';
import {
  readSilenceForm,
  SILENCE_DIALOG_ACTION,
  silenceCommand,
  silenceDialog,
} from '../../../src/alerts/silence-dialog.js';
import { BindingRoleResolver } from '../../../src/auth/roles.js';
import { type Config, configSchema } from '../../../src/config/schema.js';
import { createMetrics } from '../../../src/metrics.js';
import type { ActionEvent, ChatPort, Dialog, DialogSubmission, DialogTrigger } from '../../../src/ports.js';
import { ActionRouter } from '../../../src/router/actions.js';
import { Router } from '../../../src/router/router.js';
import { SqlStore } from '../../../src/store/sql-store.js';
import { SqliteDriver } from '../../../src/store/sqlite-driver.js';
import { RecordingChat } from '../../support/recording-chat.js';
import { RecordingResponder } from '../../support/router-harness.js';
import { testServices } from '../../support/services.js';

const NOW = Date.UTC(2026, 10, 23, 12, 0, 0);
const AM_URL = 'http://alertmanager.infra:9093';

/** Records silences instead of creating them. */
class RecordingAlertmanager implements AlertmanagerApi {
  readonly created: SilenceSpec[] = [];
  failWith?: string;
  constructor(
    readonly name: string,
    readonly url: string,
  ) {}
  async createSilence(spec: SilenceSpec): Promise<string> {
    if (this.failWith) throw new Error(this.failWith);
    this.created.push(spec);
    return `silence-${this.created.length}`;
  }
  async listSilences() {
    return [];
  }
  async getSilence() {
    return undefined;
  }
  async expireSilence() {}
  async extendSilence(id: string) {
    return id;
  }
  async listAlerts() {
    return [];
  }
}

function groupState(labels: Record<string, string>): GroupState {
  return {
    groupKey: `{}:{alertname="${labels.alertname}"}`,
    receiver: 'coxswain',
    externalURL: AM_URL,
    groupLabels: { alertname: labels.alertname ?? '' },
    commonLabels: labels,
    commonAnnotations: {},
    alerts: {
      f1: {
        status: 'firing',
        labels,
        annotations: {},
        startsAt: new Date(NOW - 60_000).toISOString(),
        endsAt: '0001-01-01T00:00:00Z',
        generatorURL: '',
        fingerprint: 'f1',
      },
    },
    acks: [],
    silences: [],
    folded: [],
  };
}

const LABELS = { alertname: 'DiskFull', cluster: 'apps', namespace: 'a b, c' };

describe('the silence form', () => {
  it('has duration, matchers (prefilled) and comment, and carries the group', () => {
    const dialog = silenceDialog({
      groupKey: 'g1',
      alertname: 'DiskFull',
      matchers: [{ name: 'alertname', type: '=', value: 'DiskFull' }],
      alertmanager: 'infra',
      expiresAt: NOW + 1000,
    });
    expect(dialog.action).toBe(SILENCE_DIALOG_ACTION);
    expect(dialog.payload).toEqual({ group: 'g1' });
    expect(dialog.expiresAt).toBe(NOW + 1000);
    expect(dialog.elements.map((e) => [e.name, e.type, e.default, e.optional ?? false])).toEqual([
      ['for', 'text', '2h', false],
      ['matchers', 'textarea', 'alertname="DiskFull"', false],
      ['comment', 'textarea', undefined, false],
    ]);
    for (const element of dialog.elements)
      expect(Buffer.byteLength(element.help ?? '')).toBeLessThanOrEqual(150);
  });

  it('reads a good submission', () => {
    expect(
      readSilenceForm({ for: ' 1h30m ', matchers: 'alertname="X", severity=~"warn.*"', comment: ' swap ' }),
    ).toEqual({
      forMs: 90 * 60_000,
      matchers: [
        { name: 'alertname', type: '=', value: 'X' },
        { name: 'severity', type: '=~', value: 'warn.*' },
      ],
      comment: 'swap',
    });
  });

  it('answers per field', () => {
    expect(readSilenceForm({})).toEqual({
      errors: {
        for: 'Say how long, e.g. 2h.',
        matchers: expect.stringContaining('Give at least one matcher'),
        comment: 'Say why; Alertmanager shows it to everyone.',
      },
    });
    const wrong = readSilenceForm({ for: '2 hours', matchers: 'alertname', comment: 'x'.repeat(1001) });
    expect(wrong).toEqual({
      errors: {
        for: '"2 hours" is not a duration; write a number and a unit, e.g. 30m, 2h or 1d.',
        matchers: expect.stringContaining('alertname needs an operator'),
        comment: 'At most 1000 characters.',
      },
    });
    expect(readSilenceForm({ for: '1h', matchers: 'severity=~".*"', comment: 'all' })).toEqual({
      errors: { matchers: expect.stringContaining('would silence every alert') },
    });
  });
});

describe('the command offered where there are no dialogs', () => {
  let store: SqlStore;
  let am: RecordingAlertmanager;
  let router: Router;

  beforeEach(async () => {
    store = new SqlStore(new SqliteDriver(':memory:'));
    await store.migrate();
    am = new RecordingAlertmanager('infra', AM_URL);
    const config = configSchema.parse({ auth: { bindings: [{ role: 'operator', users: ['olivia'] }] } });
    const services = testServices({
      config,
      store,
      now: () => NOW,
      alertmanagers: new AlertmanagerDirectory([am]),
    });
    router = new Router({
      trigger: config.command,
      groups: allGroups(),
      roles: new BindingRoleResolver(config.auth.bindings),
      store,
      services,
      metrics: createMetrics({ defaults: false }),
      log: pino({ level: 'silent' }),
      confirmExpiryMs: 120_000,
      approvalExpiryMs: 900_000,
      approvalsRequired: [],
      now: () => NOW,
    });
  });
  afterEach(() => store.close());

  it('silences the same matchers when run, commas and spaces in values included', async () => {
    const matchers = Object.entries(LABELS).map(([name, value]) => ({ name, type: '=' as const, value }));
    const command = silenceCommand({ command: '/ops', matchers, alertmanager: 'infra' });
    expect(command).toBe(
      `/ops silence add 'alertname="DiskFull", cluster="apps", namespace="a b, c"' --for 2h --comment "why" --am infra`,
    );
    const responder = new RecordingResponder();
    await router.handle({
      platform: 'test',
      user: { id: 'u1', username: 'olivia', groups: [] },
      channel: { id: 'c1', name: 'ops' },
      text: command.replace(/^\/ops /, ''),
      requestId: 'r1',
      responder,
    });
    expect(am.created).toEqual([
      { matchers, startsAt: NOW, endsAt: NOW + 2 * 3_600_000, createdBy: 'olivia', comment: 'why' },
    ]);
  });
});

describe('the Silence… button and its form', () => {
  const trigger: DialogTrigger = { platform: 'test', id: 'trig-1', userId: 'u-olivia', channelId: 'c1' };
  let store: SqlStore;
  let am: RecordingAlertmanager;
  let chat: RecordingChat & Partial<Pick<ChatPort, 'dialogs'>>;
  let opened: { trigger: DialogTrigger; dialog: Dialog }[];
  let recorded: GroupSilence[];
  let actions: ActionRouter;
  let group: GroupState;

  async function setUp(withDialogs: boolean) {
    store = new SqlStore(new SqliteDriver(':memory:'));
    await store.migrate();
    am = new RecordingAlertmanager('infra', AM_URL);
    opened = [];
    recorded = [];
    chat = new RecordingChat();
    if (withDialogs)
      chat.dialogs = {
        open: async (t, dialog) => {
          opened.push({ trigger: t, dialog });
        },
      };
    group = groupState(LABELS);
    // Only what the handlers use of the delivery: the group's state and the silence record.
    const delivery = {
      group: async (key: string) => (key === group.groupKey ? group : undefined),
      recordSilence: async (key: string, silence: GroupSilence) => {
        recorded.push(silence);
        return key === group.groupKey;
      },
      acknowledge: async () => true,
    } as unknown as AlertDelivery;
    const config: Config = configSchema.parse({
      auth: {
        bindings: [
          { role: 'operator', users: ['olivia'] },
          { role: 'viewer', users: ['victor'] },
        ],
      },
    });
    // The router's action chain, as main.ts wires it: it refuses and audits, the specs do the work.
    actions = new ActionRouter({
      roles: new BindingRoleResolver(config.auth.bindings),
      store,
      log: pino({ level: 'silent' }),
      now: () => NOW,
    });
    const specs = alertActions({
      delivery,
      alertmanagers: new AlertmanagerDirectory([am]),
      now: () => NOW,
      chat,
      config,
    });
    for (const spec of specs.actions) actions.action(spec);
    for (const spec of specs.dialogs) actions.dialog(spec);
  }
  afterEach(() => store?.close());

  function clickEvent(
    username: string,
    withTrigger: boolean,
  ): ActionEvent & { responder: RecordingResponder } {
    const button = renderGroup(group, { now: NOW }).buttons?.find((b) => b.label === 'Silence…');
    if (!button) throw new Error('no Silence… button');
    const event: ActionEvent & { responder: RecordingResponder } = {
      platform: 'test',
      user: { id: `u-${username}`, username, groups: [] },
      channel: { id: 'c1', name: 'alerts' },
      action: button.action,
      payload: button.payload,
      requestId: 'r1',
      responder: new RecordingResponder(),
    };
    if (withTrigger) event.trigger = trigger;
    return event;
  }

  function submission(username: string, values: Record<string, string>): DialogSubmission {
    return {
      platform: 'test',
      user: { id: `u-${username}`, username, groups: [] },
      channel: { id: 'c1', name: 'alerts' },
      action: SILENCE_DIALOG_ACTION,
      payload: { group: group.groupKey },
      values,
      requestId: 'r2',
      responder: new RecordingResponder(),
    };
  }

  it('opens the form for an operator, with the group’s matchers and Alertmanager', async () => {
    await setUp(true);
    const event = clickEvent('olivia', true);
    expect(event.action).toBe(ALERT_ACTIONS.silenceForm);
    await actions.dispatch(event);
    expect(opened).toHaveLength(1);
    expect(opened[0]?.trigger).toEqual(trigger);
    expect(opened[0]?.dialog.payload).toEqual({ group: group.groupKey });
    expect(opened[0]?.dialog.introduction).toContain('infra');
    expect(opened[0]?.dialog.elements.find((e) => e.name === 'matchers')?.default).toBe(
      'alertname="DiskFull", cluster="apps", namespace="a b, c"',
    );
    expect(event.responder.answers).toEqual([]);
  });

  it('offers the command where the chat has no dialogs', async () => {
    await setUp(false);
    const event = clickEvent('olivia', false);
    await actions.dispatch(event);
    expect(opened).toEqual([]);
    expect(event.responder.last?.visibility).toBe('ephemeral');
    expect(event.responder.last?.message.text).toContain('This chat cannot show the silence form');
    expect(event.responder.last?.message.text).toContain(
      `/ops silence add 'alertname="DiskFull", cluster="apps", namespace="a b, c"' --for 2h`,
    );
  });

  it('refuses a viewer at the click and at the submission', async () => {
    await setUp(true);
    const event = clickEvent('victor', true);
    await actions.dispatch(event);
    expect(opened).toEqual([]);
    expect(event.responder.last?.message.text).toContain(
      'needs the operator role, and you have the viewer role',
    );
    const answer = await actions.submit(
      submission('victor', { for: '1h', matchers: 'alertname="DiskFull"', comment: 'x' }),
    );
    expect(answer?.error).toContain('needs the operator role, and you have the viewer role');
    expect(am.created).toEqual([]);
    const audit = await store.listAudit({});
    expect(audit.map((a) => [a.username, a.command, a.outcome])).toEqual(
      expect.arrayContaining([
        ['victor', 'button alert.silence.form', 'denied'],
        ['victor', 'button alert.silence.dialog', 'denied'],
      ]),
    );
  });

  it('answers field errors and creates nothing', async () => {
    await setUp(true);
    const answer = await actions.submit(
      submission('olivia', { for: 'x', matchers: 'alertname="DiskFull"', comment: '' }),
    );
    expect(Object.keys(answer?.errors ?? {})).toEqual(['for', 'comment']);
    expect(am.created).toEqual([]);
  });

  it('creates the silence as the submitter and records it on the group', async () => {
    await setUp(true);
    const answer = await actions.submit(
      submission('olivia', {
        for: '4h',
        matchers: 'alertname="DiskFull", cluster=~"apps|infra"',
        comment: 'swap',
      }),
    );
    expect(answer).toBeUndefined();
    expect(am.created).toEqual([
      {
        matchers: [
          { name: 'alertname', type: '=', value: 'DiskFull' },
          { name: 'cluster', type: '=~', value: 'apps|infra' },
        ],
        startsAt: NOW,
        endsAt: NOW + 4 * 3_600_000,
        createdBy: 'olivia',
        comment: 'swap',
      },
    ]);
    expect(recorded).toEqual([
      { user: 'olivia', id: 'silence-1', alertmanager: 'infra', until: NOW + 4 * 3_600_000, at: NOW },
    ]);
    const [entry] = await store.listAudit({ username: 'olivia' });
    expect(entry?.outcome).toBe('ok');
    expect(entry?.args).toMatchObject({ group: group.groupKey, for: '4h', comment: 'swap' });
  });

  it('shows Alertmanager refusing in the form', async () => {
    await setUp(true);
    am.failWith = 'Alertmanager answered 400: bad matcher';
    const answer = await actions.submit(
      submission('olivia', { for: '1h', matchers: 'alertname="DiskFull"', comment: 'x' }),
    );
    expect(answer?.error).toBe('infra did not take the silence: Alertmanager answered 400: bad matcher');
    expect(recorded).toEqual([]);
  });
});

/**
 * A router wired as main.ts wires it, on a real in-memory SQLite store, with a responder that
 * records what the bot answered. The clock is the test's.
 */
import { pino } from 'pino';
import { allGroups } from '../../commands/index.js';
import type { Role } from '../../src/auth/config-schema.js';
import { BindingRoleResolver, type RoleResolver } from '../../src/auth/roles.js';
import { type Config, configSchema } from '../../src/config/schema.js';
import type { Message } from '../../src/message.js';
import { createMetrics, type Metrics } from '../../src/metrics.js';
import type { ActionEvent, ChatUser, Invocation, PostRef, Responder } from '../../src/ports.js';
import { Router } from '../../src/router/router.js';
import type { CommandGroup } from '../../src/router/spec.js';
import type { Services } from '../../src/services.js';
import { SqlStore } from '../../src/store/sql-store.js';
import { SqliteDriver } from '../../src/store/sqlite-driver.js';
import { testServices } from './services.js';

export interface Answer {
  message: Message;
  visibility: 'ephemeral' | 'in_channel' | 'thread' | 'update';
  ref?: PostRef;
}

export class RecordingResponder implements Responder {
  readonly answers: Answer[] = [];
  private next = 1;
  async reply(message: Message, visibility: 'ephemeral' | 'in_channel'): Promise<PostRef> {
    const ref = { platform: 'test', channelId: 'c1', postId: `p${this.next++}` };
    this.answers.push({ message, visibility, ref });
    return ref;
  }
  async replyInThread(message: Message): Promise<PostRef> {
    const ref = { platform: 'test', channelId: 'c1', postId: `p${this.next++}` };
    this.answers.push({ message, visibility: 'thread', ref });
    return ref;
  }
  async update(ref: PostRef, message: Message): Promise<void> {
    this.answers.push({ message, visibility: 'update', ref });
  }
  get texts(): string[] {
    return this.answers.map((a) => a.message.text);
  }
  get last(): Answer | undefined {
    return this.answers[this.answers.length - 1];
  }
}

export interface Harness {
  router: Router;
  store: SqlStore;
  metrics: Metrics;
  config: Config;
  clock: { now: number };
  run(user: ChatUser | string, text: string): Promise<RecordingResponder>;
  click(user: ChatUser | string, answer: Answer | undefined, label: string): Promise<RecordingResponder>;
  close(): Promise<void>;
}

export function user(username: string, groups: string[] = []): ChatUser {
  return { id: `id-${username}`, username, groups };
}

/** Bindings that give alice admin, olivia operator and victor viewer; nobody else has a role. */
export const TEST_BINDINGS: Config['auth']['bindings'] = [
  { role: 'admin', users: ['alice', 'adam'], groups: [], channels: [] },
  { role: 'operator', users: ['olivia'], groups: ['oncall'], channels: [] },
  { role: 'viewer', users: ['victor'], groups: [], channels: ['platform'] },
];

export const ROLE_USER: Record<Role, string> = { admin: 'alice', operator: 'olivia', viewer: 'victor' };

export async function createHarness(
  options: {
    groups?: CommandGroup[];
    config?: Record<string, unknown>;
    roles?: RoleResolver;
    /** A migrated store to use (PostgreSQL, a SQLite file); default a fresh in-memory SQLite. */
    store?: SqlStore;
    /** Engines the command under test needs (health, phases, clusters...), set after the store exists. */
    services?: (store: SqlStore, now: () => number) => Partial<Services>;
  } = {},
): Promise<Harness> {
  const config = configSchema.parse({ auth: { bindings: TEST_BINDINGS }, ...options.config });
  const store = options.store ?? new SqlStore(new SqliteDriver(':memory:'));
  await store.migrate();
  const metrics = createMetrics({ defaults: false });
  const clock = { now: Date.UTC(2026, 10, 23, 12, 0, 0) };
  const router = new Router({
    trigger: config.command,
    groups: options.groups ?? allGroups(),
    roles: options.roles ?? new BindingRoleResolver(config.auth.bindings),
    store,
    services: testServices({
      config,
      store,
      now: () => clock.now,
      groups: () => options.groups ?? allGroups(),
      ...options.services?.(store, () => clock.now),
    }),
    metrics,
    log: pino({ level: 'silent' }),
    confirmExpiryMs: 120_000,
    approvalExpiryMs: 900_000,
    approvalsRequired: config.approvals.required,
    now: () => clock.now,
  });
  let request = 0;
  const asUser = (u: ChatUser | string) => (typeof u === 'string' ? user(u) : u);
  return {
    router,
    store,
    metrics,
    config,
    clock,
    async run(who, text) {
      const responder = new RecordingResponder();
      const invocation: Invocation = {
        platform: 'test',
        user: asUser(who),
        channel: { id: 'c1', name: 'ops' },
        text,
        requestId: `r${++request}`,
        responder,
      };
      await router.handle(invocation);
      return responder;
    },
    async click(who, answer, label) {
      const button = answer?.message.buttons?.find((b) => b.label === label);
      if (!button) throw new Error(`no button ${label} in ${JSON.stringify(answer?.message)}`);
      const responder = new RecordingResponder();
      const event: ActionEvent = {
        platform: 'test',
        user: asUser(who),
        channel: { id: 'c1', name: 'ops' },
        action: button.action,
        payload: button.payload,
        requestId: `r${++request}`,
        responder,
      };
      if (answer?.ref) event.post = answer.ref;
      await router.actions.dispatch(event);
      return responder;
    },
    close: () => store.close(),
  };
}

/**
 * Buttons and forms go through a chain like typed commands (as bolt-js runs actions through the
 * same middleware as commands): audit (wraps everything, so a refusal or a crash is recorded
 * too) → identify → authorize → run. Adapters verify a click's signature (a form's signed state)
 * and hand over an ActionEvent (a DialogSubmission); the spec registered for its action id
 * does the work. Features register their specs; the router registers its Confirm/Cancel/
 * Approve/Reject the same way.
 */

import { auditAction } from '../audit/audit-action.js';
import type { Role } from '../auth/config-schema.js';
import { allows, type Permission, requiredRole } from '../auth/permissions.js';
import type { RoleResolver } from '../auth/roles.js';
import type { Logger } from '../log.js';
import type { ActionEvent, DialogAnswer, DialogSubmission } from '../ports.js';
import type { AuditOutcome, Store } from '../store/store.js';
import type { ActionSpec, DialogSpec } from './action-spec.js';
import { type Middleware, runChain } from './dispatch.js';

export interface ActionRouterDeps {
  roles: RoleResolver;
  store: Store;
  log: Logger;
  now: () => number;
}

/** One click or submission on its way through the chain. */
interface Click {
  /** Who clicked, where, and what the audit records as its arguments. */
  event: ActionEvent;
  subject: string;
  /** The permission the spec asks for this click. */
  permission(): Promise<Permission>;
  startedAt: number;
  role?: Role | undefined;
  outcome: AuditOutcome;
  detail: string;
  /** Tells the person why not: an ephemeral answer to a click, the form's error to a submission. */
  refuse(text: string): Promise<void>;
  /** Does the spec's work and records its result on the click. */
  work(): Promise<void>;
}

export class ActionRouter {
  private readonly actionSpecs = new Map<string, ActionSpec>();
  private readonly dialogSpecs = new Map<string, DialogSpec>();
  private readonly chain: Middleware<Click>[];

  constructor(private readonly deps: ActionRouterDeps) {
    this.chain = [audit(deps), identify(deps), authorize(), run()];
  }

  action(spec: ActionSpec): void {
    if (this.actionSpecs.has(spec.action)) throw new Error(`action ${spec.action} is registered twice`);
    this.actionSpecs.set(spec.action, spec);
  }

  dialog(spec: DialogSpec): void {
    if (this.dialogSpecs.has(spec.action)) throw new Error(`dialog ${spec.action} is registered twice`);
    this.dialogSpecs.set(spec.action, spec);
  }

  /** Every registered button (the test that proves each is guarded lists them). */
  get actions(): readonly ActionSpec[] {
    return [...this.actionSpecs.values()];
  }

  get dialogs(): readonly DialogSpec[] {
    return [...this.dialogSpecs.values()];
  }

  /** Runs one click; a failure is audited and then thrown to the caller, which answers it. */
  async dispatch(event: ActionEvent): Promise<void> {
    const spec = this.actionSpecs.get(event.action);
    if (!spec) {
      await this.auditUnknown(event);
      await event.responder.reply(
        { text: 'That button no longer does anything in this version of coxswain.' },
        'ephemeral',
      );
      return;
    }
    const click: Click = {
      event,
      subject: spec.subject,
      permission: async () =>
        typeof spec.permission === 'function' ? spec.permission(event) : spec.permission,
      startedAt: this.deps.now(),
      outcome: 'error',
      detail: '',
      refuse: async (text) => {
        await event.responder.reply({ text }, 'ephemeral');
      },
      work: async () => {
        const { outcome, detail } = await spec.run(event);
        click.outcome = outcome;
        click.detail = detail;
      },
    };
    await runChain(this.chain, click);
  }

  /** Runs one form submission; the answer keeps the form open (errors) or closes it. */
  async submit(submission: DialogSubmission): Promise<DialogAnswer | undefined> {
    const spec = this.dialogSpecs.get(submission.action);
    if (!spec) {
      await this.auditUnknown(submission);
      return { error: 'This form no longer does anything in this version of coxswain.' };
    }
    let answer: DialogAnswer | undefined;
    const click: Click = {
      // The audit shows what was submitted beside what the form carried.
      event: { ...submission, payload: { ...submission.payload, ...submission.values } },
      subject: spec.subject,
      permission: async () =>
        typeof spec.permission === 'function' ? spec.permission(submission) : spec.permission,
      startedAt: this.deps.now(),
      outcome: 'error',
      detail: '',
      refuse: async (text) => {
        answer = { error: text };
      },
      work: async () => {
        const result = await spec.run(submission);
        click.outcome = result.outcome;
        click.detail = result.detail;
        answer = result.answer;
      },
    };
    await runChain(this.chain, click);
    return answer;
  }

  /** A button or form no spec answers (from an older version) runs nothing, and is recorded. */
  private async auditUnknown(event: ActionEvent): Promise<void> {
    const at = this.deps.now();
    await auditAction(this.deps.store, this.deps.log, event, {
      outcome: 'unknown',
      detail: 'no such button or form',
      startedAt: at,
      finishedAt: at,
    });
  }
}

function audit(deps: ActionRouterDeps): Middleware<Click> {
  return async (click, next) => {
    try {
      await next();
    } catch (error) {
      click.outcome = 'error';
      click.detail = error instanceof Error ? error.message : String(error);
      throw error;
    } finally {
      await auditAction(deps.store, deps.log, click.event, {
        outcome: click.outcome,
        detail: click.detail,
        startedAt: click.startedAt,
        finishedAt: deps.now(),
      });
    }
  };
}

function identify(deps: ActionRouterDeps): Middleware<Click> {
  return async (click, next) => {
    click.role = deps.roles.roleOf(click.event.user, click.event.channel);
    return next();
  };
}

function authorize(): Middleware<Click> {
  return async (click, next) => {
    const permission = await click.permission();
    const needed = requiredRole(permission);
    if (allows(click.role, permission) || needed === undefined) return next();
    click.outcome = 'denied';
    click.detail = `role ${click.role ?? 'none'}`;
    await click.refuse(refusal(click.subject, needed, click.role));
  };
}

function run(): Middleware<Click> {
  return (click) => click.work();
}

/** The one refusal every button and form gives. */
export function refusal(subject: string, needed: Role, role: Role | undefined): string {
  return `${subject} needs the ${needed} role, and you have ${role ? `the ${role} role` : 'no role'} here; ask an admin to bind you to ${needed} in auth.bindings.`;
}

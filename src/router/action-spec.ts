/**
 * What a button or a form is, as a command is a CommandSpec: the action id it answers, the
 * permission its clicker (or submitter) needs, and a run that does only the work. The router's
 * action chain (actions.ts) finds the role, refuses below the permission and audits every click
 * and submission, so a feature's button cannot skip either.
 */
import type { Permission } from '../auth/permissions.js';
import type { ActionEvent, DialogAnswer, DialogSubmission } from '../ports.js';
import type { AuditOutcome } from '../store/store.js';

/** What the audit log records of a run. */
export interface ActionResult {
  outcome: AuditOutcome;
  detail: string;
}

/** A form's run also answers the form: field errors or an error keep it open. */
export interface DialogResult extends ActionResult {
  answer?: DialogAnswer;
}

interface SpecCommon<E extends ActionEvent> {
  /** The button's (or the dialog's) action id; one spec per id. */
  action: string;
  /**
   * The permission needed, or how to read it from what the button acts on (approving a command
   * needs the command's own permission). Deny by default: there is no spec without one.
   */
  permission: Permission | ((event: E) => Promise<Permission>);
  /** Names what is refused: "Opening an incident" needs the operator role, ... */
  subject: string;
}

export interface ActionSpec extends SpecCommon<ActionEvent> {
  /** Runs as the clicker, who holds the permission; answers them itself (responder). */
  run(event: ActionEvent): Promise<ActionResult>;
}

export interface DialogSpec extends SpecCommon<DialogSubmission> {
  /** Runs as the submitter, who holds the permission. */
  run(submission: DialogSubmission): Promise<DialogResult>;
}

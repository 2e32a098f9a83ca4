/**
 * Interactive dialogs on Mattermost, both ways:
 * - out: the platform-neutral Dialog as the `dialog` of `POST /api/v4/actions/dialogs/open`,
 *   cut to the server's limits (model.Dialog.IsValid in server/public: title and labels 24
 *   bytes of UTF-8, help 150, a text default 150, a textarea 3000), with the signed state;
 * - in: the JSON Mattermost posts to the dialog's URL on submission (model.SubmitDialogRequest:
 *   `callback_id`, `state`, `user_id` set by the server from the session, `channel_id`,
 *   `team_id`, `submission`, `cancelled`), checked against that state. Mattermost does not sign
 *   submissions and the submit API takes the target URL from the client, so the state is the
 *   only proof: it is an ActionSigner token naming the dialog, the person and the channel it was
 *   opened for, and its expiry.
 */
import type { Dialog, DialogElement } from '../../../src/ports.js';
import type { ActionSigner } from '../../../src/security/signing.js';

export const TITLE_MAX = 24;
export const LABEL_MAX = 24;
export const HELP_MAX = 150;
export const TEXT_MAX = 150;
export const TEXTAREA_MAX = 3000;
const HOUR_MS = 3_600_000;
/** State tokens name `dialog:<action>`, so a button's token can never pass as a dialog's. */
const STATE_PREFIX = 'dialog:';

export interface MattermostDialogElement {
  display_name: string;
  name: string;
  type: 'text' | 'textarea' | 'select';
  subtype: string;
  default: string;
  placeholder: string;
  help_text: string;
  optional: boolean;
  min_length: number;
  max_length: number;
  data_source: string;
  options: { text: string; value: string }[] | null;
}

export interface MattermostDialog {
  callback_id: string;
  title: string;
  introduction_text: string;
  elements: MattermostDialogElement[];
  submit_label: string;
  notify_on_cancel: boolean;
  state: string;
}

/** The JSON Mattermost posts to a dialog's URL. */
export interface DialogRequest {
  type?: unknown;
  callback_id?: unknown;
  state?: unknown;
  user_id?: unknown;
  channel_id?: unknown;
  team_id?: unknown;
  submission?: unknown;
  cancelled?: unknown;
}

/** Who and where a dialog was opened for; bound into its state. */
export interface DialogBinding {
  userId: string;
  channelId: string;
  postId?: string;
}

export function dialogState(
  signer: ActionSigner,
  dialog: Dialog,
  binding: DialogBinding,
  now: number,
): string {
  return signer.sign({
    action: `${STATE_PREFIX}${dialog.action}`,
    payload: {
      data: JSON.stringify(dialog.payload),
      user: binding.userId,
      channel: binding.channelId,
      post: binding.postId ?? '',
    },
    expiresAt: dialog.expiresAt ?? now + HOUR_MS,
  });
}

export function renderDialog(dialog: Dialog, state: string): MattermostDialog {
  return {
    callback_id: dialog.action,
    title: cut(dialog.title, TITLE_MAX),
    introduction_text: dialog.introduction ?? '',
    elements: dialog.elements.map(renderElement),
    submit_label: dialog.submitLabel ?? 'Submit',
    // A cancel runs nothing, so Mattermost need not tell the bot about it.
    notify_on_cancel: false,
    state,
  };
}

function renderElement(element: DialogElement): MattermostDialogElement {
  const limit = element.type === 'textarea' ? TEXTAREA_MAX : TEXT_MAX;
  const options = element.options?.map((o) => ({ text: o.label, value: o.value })) ?? null;
  let fallback = element.default ?? '';
  // Mattermost refuses a select whose default is not one of its options.
  if (element.type === 'select' && !options?.some((o) => o.value === fallback)) fallback = '';
  return {
    display_name: cut(element.label, LABEL_MAX),
    name: element.name,
    type: element.type,
    subtype: element.type === 'select' ? '' : 'text',
    default: cut(fallback, limit),
    placeholder: cut(element.placeholder ?? '', limit),
    help_text: cut(element.help ?? '', HELP_MAX),
    optional: element.optional ?? false,
    min_length: 0,
    max_length: element.type === 'select' ? 0 : Math.min(element.maxLength ?? limit, limit),
    data_source: '',
    options: element.type === 'select' ? options : null,
  };
}

export type VerifiedSubmission =
  | {
      action: string;
      payload: Record<string, string>;
      binding: DialogBinding;
      values: Record<string, string>;
      cancelled: boolean;
      userId: string;
      channelId: string;
    }
  | { refused: string };

/**
 * The submission, once its state checks out and it comes from the person, in the channel, the
 * dialog was opened for; otherwise why not, in words the person can act on.
 */
export function verifySubmission(body: DialogRequest, signer: ActionSigner, now: number): VerifiedSubmission {
  const state = typeof body.state === 'string' ? body.state : '';
  const verified = signer.verify(state, now);
  if ('refused' in verified) return { refused: verified.refused };
  if (!verified.action.startsWith(STATE_PREFIX)) return { refused: 'not a dialog state' };
  const action = verified.action.slice(STATE_PREFIX.length);
  if (body.callback_id !== action) return { refused: 'callback mismatch' };
  const { data, user, channel, post } = verified.payload;
  if (!data || !user || !channel) return { refused: 'malformed' };
  if (body.user_id !== user) return { refused: 'opened for someone else' };
  if (body.channel_id !== channel) return { refused: 'opened in another channel' };
  let payload: unknown;
  try {
    payload = JSON.parse(data);
  } catch {
    return { refused: 'malformed' };
  }
  if (!isStringRecord(payload)) return { refused: 'malformed' };
  const binding: DialogBinding = post
    ? { userId: user, channelId: channel, postId: post }
    : { userId: user, channelId: channel };
  return {
    action,
    payload,
    binding,
    values: submittedValues(body.submission),
    cancelled: body.cancelled === true,
    userId: user,
    channelId: channel,
  };
}

/** Every submitted field as a string: numbers and booleans as written, multi-selects comma-joined. */
export function submittedValues(submission: unknown): Record<string, string> {
  const values: Record<string, string> = {};
  if (submission === null || typeof submission !== 'object' || Array.isArray(submission)) return values;
  for (const [name, value] of Object.entries(submission)) {
    if (typeof value === 'string') values[name] = value;
    else if (typeof value === 'number' || typeof value === 'boolean') values[name] = String(value);
    else if (Array.isArray(value)) values[name] = value.filter((v) => typeof v === 'string').join(',');
    else values[name] = '';
  }
  return values;
}

/** The server counts UTF-8 bytes (Go's len), so the cut does too, whole characters only. */
export function cut(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text, 'utf8') <= maxBytes) return text;
  const chars = [...text];
  while (chars.length > 0 && Buffer.byteLength(`${chars.join('')}…`, 'utf8') > maxBytes) chars.pop();
  return `${chars.join('')}…`;
}

function isStringRecord(value: unknown): value is Record<string, string> {
  return (
    value !== null &&
    typeof value === 'object' &&
    !Array.isArray(value) &&
    Object.values(value as object).every((v) => typeof v === 'string')
  );
}

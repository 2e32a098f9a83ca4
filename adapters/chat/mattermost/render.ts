/**
 * Renders the platform-neutral Message as a Mattermost post: plain `message` text when it is
 * only text, otherwise one message attachment (colour by severity, title, text, fields) whose
 * buttons are `integration` actions. Mattermost does not sign action callbacks, so each
 * action's `context` carries the ActionSigner token; the action URL is coxswain's own hook.
 * Links become markdown links in the attachment text (attachments have no link buttons).
 */
import type { Message, MessageButton, Severity } from '../../../src/message.js';
import type { ActionSigner } from '../../../src/security/signing.js';

const WEEK_MS = 7 * 86_400_000;

export const COLOURS: Record<Severity, string> = {
  info: '#1d74f5',
  ok: '#3db887',
  warning: '#ffbc1f',
  critical: '#d24b4e',
};

export interface MattermostAction {
  id: string;
  name: string;
  type: 'button';
  style?: 'default' | 'primary' | 'danger';
  integration: { url: string; context: { action: string; token: string } };
}

export interface MattermostAttachment {
  fallback: string;
  color?: string;
  title?: string;
  text?: string;
  fields?: { title: string; value: string; short: boolean }[];
  actions?: MattermostAction[];
}

export interface RenderedPost {
  message: string;
  props?: { attachments: MattermostAttachment[] };
}

export interface RenderOptions {
  signer: ActionSigner;
  now: number;
  /** Where Mattermost sends clicks: `<publicUrl>/hooks/mattermost/action`. Without it, no buttons. */
  actionUrl?: string;
}

/** Plain text of a message: fallback for notifications and clients without attachments. */
export function renderText(message: Message): string {
  const parts: string[] = [];
  if (message.title) parts.push(`**${message.title}**`);
  if (message.text) parts.push(message.text);
  for (const field of message.fields ?? []) parts.push(`**${field.title}:** ${field.value}`);
  return parts.join('\n');
}

export function renderPost(message: Message, options: RenderOptions): RenderedPost {
  const buttons = options.actionUrl ? (message.buttons ?? []) : [];
  const links = (message.links ?? []).filter((link) => safeUrl(link.url));
  const plain =
    !message.title &&
    !message.severity &&
    !message.fields?.length &&
    buttons.length === 0 &&
    links.length === 0;
  if (plain) return { message: message.text };

  const attachment: MattermostAttachment = { fallback: renderText(message) };
  if (message.severity) attachment.color = COLOURS[message.severity];
  if (message.title) attachment.title = message.title;
  const text = [message.text, links.map((link) => `[${linkLabel(link.label)}](${link.url})`).join(' · ')]
    .filter((part) => part)
    .join('\n\n');
  if (text) attachment.text = text;
  if (message.fields?.length)
    attachment.fields = message.fields.map((field) => ({
      title: field.title,
      value: field.value,
      short: field.short ?? false,
    }));
  if (buttons.length > 0 && options.actionUrl) {
    const url = options.actionUrl;
    attachment.actions = buttons.map((button, index) => renderAction(button, index, url, options));
  }
  return { message: '', props: { attachments: [attachment] } };
}

function renderAction(
  button: MessageButton,
  index: number,
  url: string,
  options: RenderOptions,
): MattermostAction {
  const token = options.signer.sign({
    action: button.action,
    payload: button.payload,
    expiresAt: button.expiresAt ?? options.now + WEEK_MS,
  });
  const action: MattermostAction = {
    // The id is a path segment of /posts/{id}/actions/{action_id}: letters and digits only.
    id: `${button.action.replace(/[^a-zA-Z0-9]/g, '')}${index}`,
    name: button.label,
    type: 'button',
    integration: { url, context: { action: button.action, token } },
  };
  if (button.style) action.style = button.style;
  return action;
}

/** Only http(s) URLs without characters that would end the markdown link early. */
function safeUrl(url: string): boolean {
  return /^https?:\/\/[^\s()<>]+$/i.test(url);
}

function linkLabel(label: string): string {
  return label.replace(/[[\]\\]/g, (c) => `\\${c}`);
}

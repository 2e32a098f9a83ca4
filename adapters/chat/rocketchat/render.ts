/**
 * Renders the platform-neutral Message for Rocket.Chat. The readable content (title, text,
 * fields) always goes into the message text, because `chat.update` can only replace the text:
 * an update must be able to say everything the post said. Colour and link buttons ride in one
 * attachment. Action buttons are either UIKit `actions` blocks handled by the coxswain App
 * (their value is the signed token), or, without the App, attachment buttons with
 * `msg_in_chat_window` that make the clicker post `@bot action <token>`, so the click arrives as
 * that person's own message and is authorized as them.
 */
import type { Message, MessageButton, Severity } from '../../../src/message.js';
import type { ActionSigner } from '../../../src/security/signing.js';
import { toRocketChatMarkup } from './markup.js';

const WEEK_MS = 7 * 86_400_000;
export const BLOCK_ID_PREFIX = 'coxswain';

const COLOURS: Record<Severity, string> = {
  info: '#1d74f5',
  ok: '#2de0a5',
  warning: '#ffd21f',
  critical: '#f5455c',
};

export interface RocketChatAttachmentAction {
  type: 'button';
  text: string;
  url?: string;
  msg?: string;
  msg_in_chat_window?: boolean;
}

export interface RocketChatAttachment {
  color?: string;
  text?: string;
  actions?: RocketChatAttachmentAction[];
}

export interface RocketChatButtonElement {
  type: 'button';
  appId: string;
  blockId: string;
  actionId: string;
  text: { type: 'plain_text'; text: string; emoji?: boolean };
  value: string;
  style?: 'primary' | 'danger';
}

export interface RocketChatActionsBlock {
  type: 'actions';
  blockId: string;
  elements: RocketChatButtonElement[];
}

export interface RenderedMessage {
  msg: string;
  attachments?: RocketChatAttachment[];
  blocks?: RocketChatActionsBlock[];
}

export interface RenderOptions {
  signer: ActionSigner;
  now: number;
  /** The App's id when the coxswain App is installed: buttons become UIKit blocks. */
  appId?: string;
  /** The bot's username, for the fallback buttons that post `@bot action <token>`. */
  botUsername: string;
}

/**
 * The message text: what chat.update can carry. Written in coxswain's markdown, then turned
 * into what Rocket.Chat's message parser reads (markup.ts).
 */
export function renderText(message: Message): string {
  const parts: string[] = [];
  if (message.title) parts.push(`**${message.title}**`);
  if (message.text) parts.push(message.text);
  for (const field of message.fields ?? []) parts.push(`**${field.title}:** ${field.value}`);
  return toRocketChatMarkup(parts.join('\n'));
}

export function renderMessage(message: Message, options: RenderOptions): RenderedMessage {
  const rendered: RenderedMessage = { msg: renderText(message) };
  const actions: RocketChatAttachmentAction[] = (message.links ?? []).map((link) => ({
    type: 'button',
    text: link.label,
    url: link.url,
  }));
  const buttons = message.buttons ?? [];
  const tokens = buttons.map((button) => signButton(button, options));
  if (buttons.length > 0 && options.appId !== undefined) {
    const appId = options.appId;
    const blockId = `${BLOCK_ID_PREFIX}-${options.now.toString(36)}`;
    rendered.blocks = [
      {
        type: 'actions',
        blockId,
        elements: buttons.map((button, index) => {
          const element: RocketChatButtonElement = {
            type: 'button',
            appId,
            blockId,
            actionId: button.action,
            text: { type: 'plain_text', text: button.label, emoji: false },
            value: tokens[index] as string,
          };
          if (button.style === 'primary' || button.style === 'danger') element.style = button.style;
          return element;
        }),
      },
    ];
  } else {
    buttons.forEach((button, index) => {
      actions.push({
        type: 'button',
        text: button.label,
        msg: `@${options.botUsername} action ${tokens[index]}`,
        msg_in_chat_window: true,
      });
    });
  }
  if (actions.length > 0 || message.severity) {
    const attachment: RocketChatAttachment = {};
    if (message.severity) attachment.color = COLOURS[message.severity];
    if (actions.length > 0) attachment.actions = actions;
    rendered.attachments = [attachment];
  }
  return rendered;
}

function signButton(button: MessageButton, options: RenderOptions): string {
  return options.signer.sign({
    action: button.action,
    payload: button.payload,
    expiresAt: button.expiresAt ?? options.now + WEEK_MS,
  });
}

/**
 * The platform-neutral message every command and handler builds. Chat adapters render it
 * (Mattermost attachments, Rocket.Chat attachments/blocks, plain text in the shell); nothing
 * outside an adapter ever builds platform JSON.
 */
export type Severity = 'info' | 'ok' | 'warning' | 'critical';

export interface MessageField {
  title: string;
  value: string;
  short?: boolean;
}

/**
 * A button. `action` names the handler (`confirm`, `alert.silence`, ...); `payload` is small,
 * string-valued and signed by the adapter so a callback cannot be forged.
 */
export interface MessageButton {
  label: string;
  action: string;
  payload: Record<string, string>;
  style?: 'default' | 'primary' | 'danger';
  /** Epoch ms after which a click is refused; adapters default to a week. */
  expiresAt?: number;
}

/** A link shown as a button where the platform can (runbook, Grafana, generator URL). */
export interface MessageLink {
  label: string;
  url: string;
}

/**
 * `text` is markdown written by coxswain itself; any outside string inside it must have been
 * passed through `escapeChat` first (see src/text/escape.ts).
 */
export interface Message {
  title?: string;
  text: string;
  severity?: Severity;
  fields?: MessageField[];
  buttons?: MessageButton[];
  links?: MessageLink[];
}

export function textMessage(text: string, severity?: Severity): Message {
  return severity ? { text, severity } : { text };
}

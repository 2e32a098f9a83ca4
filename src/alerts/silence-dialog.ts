/**
 * The `Silence…` form of an alert post: how long, which matchers (prefilled with the group's
 * common labels, editable), and why. Built here, shown by a chat platform that has dialogs
 * (ports.ts DialogCapability), and read back here: every field is checked again on submission,
 * since a client can send anything. Platforms without dialogs get the equivalent
 * `silence add` command instead (silenceCommand).
 */
import { formatDuration, parseDuration } from '../duration.js';
import type { Dialog, DialogElement } from '../ports.js';
import { escapeChat } from '../text/escape.js';
import {
  formatMatchers,
  MATCHER_SYNTAX,
  type Matcher,
  matchesEverything,
  parseMatchers,
} from './matchers.js';

export const SILENCE_DIALOG_ACTION = 'alert.silence.dialog';
export const DEFAULT_SILENCE_FOR = '2h';
const COMMENT_MAX = 1000;
const MATCHERS_MAX = 3000;

/** The fields, in order; the same list checks a submission. */
export const SILENCE_FIELDS = {
  for: {
    name: 'for',
    label: 'Duration',
    type: 'text',
    placeholder: 'e.g. 30m, 2h, 1d',
    help: 'How long the silence lasts from now: a number and a unit (m, h, d, w), e.g. 90m or 1h30m.',
    maxLength: 20,
  },
  matchers: {
    name: 'matchers',
    label: 'Matchers',
    type: 'textarea',
    help: 'Alertmanager matchers; prefilled with the labels this alert group shares. Narrow or widen them, e.g. severity=~"warn.*".',
    maxLength: MATCHERS_MAX,
  },
  comment: {
    name: 'comment',
    label: 'Comment',
    type: 'textarea',
    placeholder: 'why, e.g. planned OSD swap',
    help: 'Why: shown in Alertmanager and on the alert post.',
    maxLength: COMMENT_MAX,
  },
} as const satisfies Record<string, DialogElement>;

/** The group's common labels as equality matchers: what `Silence 1h` silences. */
export function groupMatchers(labels: Record<string, string>): Matcher[] {
  return Object.entries(labels).map(([name, value]) => ({ name, type: '=', value }));
}

export function silenceDialog(input: {
  groupKey: string;
  alertname: string;
  matchers: Matcher[];
  alertmanager: string;
  expiresAt: number;
}): Dialog {
  return {
    title: 'Silence alert',
    introduction: `Creates a silence in Alertmanager ${escapeChat(input.alertmanager)} for ${escapeChat(input.alertname)}, as you.`,
    submitLabel: 'Silence',
    action: SILENCE_DIALOG_ACTION,
    payload: { group: input.groupKey },
    expiresAt: input.expiresAt,
    elements: [
      { ...SILENCE_FIELDS.for, default: DEFAULT_SILENCE_FOR },
      { ...SILENCE_FIELDS.matchers, default: formatMatchers(input.matchers) },
      { ...SILENCE_FIELDS.comment },
    ],
  };
}

export interface SilenceForm {
  forMs: number;
  matchers: Matcher[];
  comment: string;
}

/**
 * The submitted fields as a silence, or a message per field that is wrong. Matchers that would
 * mute every alert are refused here for everyone: only `silence add`, with an admin's
 * confirmation, may do that.
 */
export function readSilenceForm(
  values: Record<string, string>,
): SilenceForm | { errors: Record<string, string> } {
  const errors: Record<string, string> = {};
  const forText = (values.for ?? '').trim();
  const forMs = parseDuration(forText);
  if (forText === '') errors.for = 'Say how long, e.g. 2h.';
  else if (forMs === undefined)
    errors.for = `${JSON.stringify(forText.slice(0, 20))} is not a duration; write a number and a unit, e.g. 30m, 2h or 1d.`;

  const matcherText = (values.matchers ?? '').trim();
  let matchers: Matcher[] = [];
  if (matcherText === '') errors.matchers = `Give at least one matcher; ${MATCHER_SYNTAX}.`;
  else if (matcherText.length > MATCHERS_MAX) errors.matchers = `At most ${MATCHERS_MAX} characters.`;
  else {
    const parsed = parseMatchers(matcherText);
    // Not capitalised: the message may start with a label name, and those are case-sensitive.
    if ('error' in parsed) errors.matchers = `${parsed.error}.`;
    else if (matchesEverything(parsed.matchers))
      errors.matchers =
        'These would silence every alert. Narrow them (e.g. add alertname="..."); an admin can silence everything with silence add.';
    else matchers = parsed.matchers;
  }

  const comment = (values.comment ?? '').trim();
  if (comment === '') errors.comment = 'Say why; Alertmanager shows it to everyone.';
  else if (comment.length > COMMENT_MAX) errors.comment = `At most ${COMMENT_MAX} characters.`;

  if (Object.keys(errors).length > 0 || forMs === undefined) return { errors };
  return { forMs, matchers, comment };
}

/**
 * The `silence add` command that does what the form would, for platforms without dialogs. The
 * matcher list is one single-quoted word when it can be, so commas and spaces in values survive
 * the command tokenizer.
 */
export function silenceCommand(input: {
  command: string;
  matchers: Matcher[];
  forMs?: number;
  alertmanager?: string;
}): string {
  const list = formatMatchers(input.matchers);
  const matchers = list.includes("'") ? list : `'${list}'`;
  const am = input.alertmanager ? ` --am ${input.alertmanager}` : '';
  const duration = formatDuration(input.forMs ?? (parseDuration(DEFAULT_SILENCE_FOR) as number));
  return `${input.command} silence add ${matchers} --for ${duration} --comment "why"${am}`;
}

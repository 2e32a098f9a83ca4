import { describe, expect, it } from 'vitest';
import {
  cut,
  dialogState,
  HELP_MAX,
  LABEL_MAX,
  renderDialog,
  submittedValues,
  TEXT_MAX,
  TEXTAREA_MAX,
  TITLE_MAX,
  verifySubmission,
} from '../../../adapters/chat/mattermost/dialog.js';
import type { Dialog } from '../../../src/ports.js';
import { ActionSigner } from '../../../src/security/signing.js';

const signer = new ActionSigner('unit-test-key-0123456789abcdef');
const now = 1_700_000_000_000;
const bytes = (text: string) => Buffer.byteLength(text, 'utf8');

const dialog: Dialog = {
  title: 'Silence alert',
  introduction: 'Creates a silence.',
  submitLabel: 'Silence',
  action: 'alert.silence.dialog',
  payload: { group: '{}:{alertname="X"}' },
  elements: [
    { name: 'for', label: 'Duration', type: 'text', default: '2h', maxLength: 20, help: 'how long' },
    { name: 'comment', label: 'Comment', type: 'textarea', placeholder: 'why' },
    {
      name: 'sev',
      label: 'Severity',
      type: 'select',
      default: '3',
      optional: true,
      options: [
        { label: 'SEV1', value: '1' },
        { label: 'SEV3', value: '3' },
      ],
    },
  ],
};

const binding = { userId: 'u-alice', channelId: 'c-ops', postId: 'p-alert' };

function request(overrides: Record<string, unknown> = {}) {
  return {
    type: 'dialog_submission',
    callback_id: 'alert.silence.dialog',
    state: dialogState(signer, dialog, binding, now),
    user_id: 'u-alice',
    channel_id: 'c-ops',
    team_id: 't1',
    submission: { for: '1h', comment: 'disk swap', sev: '1' },
    cancelled: false,
    ...overrides,
  };
}

describe('Mattermost dialogs: rendering', () => {
  it('renders elements in the shape model.DialogElement has', () => {
    const rendered = renderDialog(dialog, 'STATE');
    expect(rendered).toMatchObject({
      callback_id: 'alert.silence.dialog',
      title: 'Silence alert',
      introduction_text: 'Creates a silence.',
      submit_label: 'Silence',
      notify_on_cancel: false,
      state: 'STATE',
    });
    expect(rendered.elements).toEqual([
      {
        display_name: 'Duration',
        name: 'for',
        type: 'text',
        subtype: 'text',
        default: '2h',
        placeholder: '',
        help_text: 'how long',
        optional: false,
        min_length: 0,
        max_length: 20,
        data_source: '',
        options: null,
      },
      expect.objectContaining({
        name: 'comment',
        type: 'textarea',
        max_length: TEXTAREA_MAX,
        placeholder: 'why',
      }),
      expect.objectContaining({
        name: 'sev',
        type: 'select',
        subtype: '',
        default: '3',
        optional: true,
        max_length: 0,
        options: [
          { text: 'SEV1', value: '1' },
          { text: 'SEV3', value: '3' },
        ],
      }),
    ]);
  });

  it('keeps within the server limits, counted in UTF-8 bytes as Go does', () => {
    const long: Dialog = {
      ...dialog,
      title: 'Stille für die Überwachung – länger',
      elements: [
        {
          name: 'x',
          label: 'Ein sehr langer Feldname über Grenzen',
          type: 'text',
          default: 'ü'.repeat(200),
          help: 'ß'.repeat(200),
          maxLength: 10_000,
        },
        { name: 's', label: 'S', type: 'select', default: 'nope', options: [{ label: 'a', value: 'a' }] },
      ],
    };
    const rendered = renderDialog(long, 'S');
    expect(bytes(rendered.title)).toBeLessThanOrEqual(TITLE_MAX);
    expect(rendered.title.endsWith('…')).toBe(true);
    const [text, select] = rendered.elements;
    expect(bytes(text?.display_name ?? '')).toBeLessThanOrEqual(LABEL_MAX);
    expect(bytes(text?.default ?? '')).toBeLessThanOrEqual(TEXT_MAX);
    expect(bytes(text?.help_text ?? '')).toBeLessThanOrEqual(HELP_MAX);
    expect(text?.max_length).toBe(TEXT_MAX);
    // A default that is not one of the options would make the server call the dialog invalid.
    expect(select?.default).toBe('');
  });

  it('cuts whole characters only', () => {
    expect(cut('short', 24)).toBe('short');
    expect(cut('€€€€€€€€€€', 10)).toBe('€€…');
    expect(bytes(cut('€€€€€€€€€€', 10))).toBeLessThanOrEqual(10);
  });
});

describe('Mattermost dialogs: submissions', () => {
  it('hands back the payload, the binding and the values of a good submission', () => {
    const verified = verifySubmission(request(), signer, now + 1000);
    expect(verified).toEqual({
      action: 'alert.silence.dialog',
      payload: { group: '{}:{alertname="X"}' },
      binding,
      values: { for: '1h', comment: 'disk swap', sev: '1' },
      cancelled: false,
      userId: 'u-alice',
      channelId: 'c-ops',
    });
  });

  it('says a cancel is one, still only with a valid state', () => {
    expect(verifySubmission(request({ cancelled: true }), signer, now)).toMatchObject({ cancelled: true });
    expect(verifySubmission(request({ cancelled: true, state: 'x.y' }), signer, now)).toEqual({
      refused: 'bad signature',
    });
  });

  it('refuses a state for another person, channel or dialog, or from elsewhere', () => {
    expect(verifySubmission(request({ user_id: 'u-bob' }), signer, now)).toEqual({
      refused: 'opened for someone else',
    });
    expect(verifySubmission(request({ channel_id: 'c-other' }), signer, now)).toEqual({
      refused: 'opened in another channel',
    });
    expect(verifySubmission(request({ callback_id: 'incident.open.dialog' }), signer, now)).toEqual({
      refused: 'callback mismatch',
    });
    const other = new ActionSigner('another-key-0123456789abcdef01');
    expect(
      verifySubmission(request({ state: dialogState(other, dialog, binding, now) }), signer, now),
    ).toEqual({ refused: 'bad signature' });
    // A button's token (same key, no dialog prefix) is not a dialog state.
    const button = signer.sign({
      action: 'alert.silence.dialog',
      payload: { group: 'g' },
      expiresAt: now + 1000,
    });
    expect(verifySubmission(request({ state: button }), signer, now)).toEqual({
      refused: 'not a dialog state',
    });
    expect(verifySubmission(request({ state: undefined }), signer, now)).toEqual({ refused: 'malformed' });
  });

  it('refuses a tampered or expired state', () => {
    const state = dialogState(signer, dialog, binding, now);
    const [body, mac] = state.split('.') as [string, string];
    expect(verifySubmission(request({ state: `${body.slice(0, -2)}AA.${mac}` }), signer, now)).toEqual({
      refused: 'bad signature',
    });
    // Dialogs without an expiry live an hour.
    expect(verifySubmission(request(), signer, now + 3_600_001)).toEqual({ refused: 'expired' });
    const short = dialogState(signer, { ...dialog, expiresAt: now + 5 }, binding, now);
    expect(verifySubmission(request({ state: short }), signer, now + 6)).toEqual({ refused: 'expired' });
  });

  it('reads every submitted value as a string', () => {
    expect(
      submittedValues({ a: 'x', n: 3, b: true, multi: ['p', 'q', 4], none: null, obj: { k: 1 } }),
    ).toEqual({ a: 'x', n: '3', b: 'true', multi: 'p,q', none: '', obj: '' });
    expect(submittedValues(null)).toEqual({});
    expect(submittedValues(['a'])).toEqual({});
  });
});

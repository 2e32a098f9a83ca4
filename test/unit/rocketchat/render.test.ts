/**
 * Rendering for Rocket.Chat, checked without a server. (Rocket.Chat itself only ever appears in
 * these tests as a protocol double, test/support/rocketchat-double, because no real server can
 * run here; this file needs none.) The bodies are also run through the rest-typings and
 * OpenAPI validators the double uses, so a rendering the real API would refuse fails here.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { renderMessage, renderText } from '../../../adapters/chat/rocketchat/render.js';
import type { Message } from '../../../src/message.js';
import { ActionSigner } from '../../../src/security/signing.js';
import { escapeChat } from '../../../src/text/escape.js';
import { ApiValidator } from '../../support/rocketchat-double/validate.js';

const now = 1_800_000_000_000;
const signer = new ActionSigner('s'.repeat(40));
let api: ApiValidator;

beforeAll(async () => {
  api = await ApiValidator.create();
}, 60_000);

const confirm: Message = {
  title: 'Confirm a dangerous command',
  text: 'Run `/ops phase pause foundation`?',
  severity: 'warning',
  fields: [{ title: 'Cluster', value: 'apps', short: true }],
  buttons: [
    {
      label: 'Confirm',
      action: 'router.confirm',
      payload: { id: 'c1' },
      style: 'danger',
      expiresAt: now + 60_000,
    },
    { label: 'Cancel', action: 'router.cancel', payload: { id: 'c1' } },
  ],
  links: [{ label: 'Runbook', url: 'https://runbooks.example.internal/phase' }],
};

function sendable(rendered: object): string[] {
  return api.check('POST', '/api/v1/chat.sendMessage', new URLSearchParams(), {
    message: { rid: 'r1', ...rendered },
  });
}

describe('renderMessage with the coxswain App installed', () => {
  const rendered = renderMessage(confirm, { signer, now, appId: 'app-1', botUsername: 'coxswain' });

  it('puts title, text and fields in the text, which chat.update can replace whole', () => {
    expect(rendered.msg).toBe(
      // The zero-width space keeps `:*` from reading as an emoticon (markup.ts).
      '**Confirm a dangerous command**\nRun `/ops phase pause foundation`?\n**Cluster:\u200b** apps',
    );
    expect(renderText(confirm)).toBe(rendered.msg);
  });

  it('renders buttons as a UIKit actions block whose values are signed tokens', () => {
    const elements = rendered.blocks?.[0]?.elements ?? [];
    expect(rendered.blocks?.[0]?.type).toBe('actions');
    expect(elements.map((e) => [e.text.text, e.actionId, e.appId, e.style])).toEqual([
      ['Confirm', 'router.confirm', 'app-1', 'danger'],
      ['Cancel', 'router.cancel', 'app-1', undefined],
    ]);
    expect(signer.verify(elements[0]?.value ?? '', now)).toEqual({
      action: 'router.confirm',
      payload: { id: 'c1' },
      expiresAt: now + 60_000,
    });
    // No expiry given: a week.
    expect(signer.verify(elements[1]?.value ?? '', now)).toMatchObject({ expiresAt: now + 7 * 86_400_000 });
  });

  it('keeps the colour and the link buttons in one attachment', () => {
    expect(rendered.attachments).toEqual([
      {
        color: '#ffd21f',
        actions: [{ type: 'button', text: 'Runbook', url: 'https://runbooks.example.internal/phase' }],
      },
    ]);
  });

  it('is a body chat.sendMessage accepts (OpenAPI and rest-typings)', () => {
    expect(sendable(rendered)).toEqual([]);
  });
});

describe('renderMessage without the App', () => {
  const rendered = renderMessage(confirm, { signer, now, botUsername: 'coxswain' });

  it('makes buttons post `@bot action <token>` as the clicker', () => {
    expect(rendered.blocks).toBeUndefined();
    const actions = rendered.attachments?.[0]?.actions ?? [];
    expect(actions.map((a) => a.text)).toEqual(['Runbook', 'Confirm', 'Cancel']);
    const confirmButton = actions[1];
    expect(confirmButton?.msg_in_chat_window).toBe(true);
    const token = /^@coxswain action (\S+)$/.exec(confirmButton?.msg ?? '')?.[1] ?? '';
    expect(signer.verify(token, now)).toMatchObject({ action: 'router.confirm', payload: { id: 'c1' } });
    expect(sendable(rendered)).toEqual([]);
  });

  it('refuses a token once tampered with, and one signed with another key', () => {
    const token = /action (\S+)$/.exec(rendered.attachments?.[0]?.actions?.[1]?.msg ?? '')?.[1] ?? '';
    const [body, mac] = token.split('.');
    const payload = JSON.parse(Buffer.from(body ?? '', 'base64url').toString('utf8'));
    payload[1].id = 'someone-elses';
    const tampered = `${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${mac}`;
    expect(signer.verify(tampered, now)).toEqual({ refused: 'bad signature' });
    expect(new ActionSigner('o'.repeat(40)).verify(token, now)).toEqual({ refused: 'bad signature' });
  });
});

describe('escaping outside text for Rocket.Chat', () => {
  it('keeps @all, @here and links from alert labels inert through rendering', () => {
    const label = '@all @here see [x](https://evil.example) <script>';
    const rendered = renderMessage(
      { text: `alert from ${escapeChat(label)}`, fields: [{ title: 'pod', value: escapeChat('@channel') }] },
      { signer, now, botUsername: 'coxswain' },
    );
    // Rocket.Chat mentions need `@` right before the name; a zero-width space sits between.
    expect(rendered.msg).not.toMatch(/@(all|here|channel)\b/);
    expect(rendered.msg).toContain('@\u200ball');
    expect(rendered.msg).toContain('@\u200bhere');
    expect(rendered.msg).not.toContain('](https://');
    expect(rendered.msg).not.toContain('](<https://');
    // Rocket.Chat shows no backslash for `<`: a zero-width space after it stops a `<url|text>` link.
    expect(rendered.msg).toContain('<\u200bscript>');
    expect(rendered.msg).toContain('<https://evil.example|https://evil.example>');
  });

  it('renders a plain message as text alone, with no attachment', () => {
    expect(renderMessage({ text: 'ok' }, { signer, now, botUsername: 'coxswain' })).toEqual({ msg: 'ok' });
  });
});

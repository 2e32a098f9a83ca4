import { describe, expect, it } from 'vitest';
import { COLOURS, renderPost, renderText } from '../../../adapters/chat/mattermost/render.js';
import { ActionSigner } from '../../../src/security/signing.js';
import { escapeChat } from '../../../src/text/escape.js';

const signer = new ActionSigner('unit-test-key-0123456789abcdef');
const now = 1_700_000_000_000;
const actionUrl = 'https://coxswain.example/hooks/mattermost/action';

describe('Mattermost rendering', () => {
  it('keeps a text-only message a plain post', () => {
    expect(renderPost({ text: 'all green' }, { signer, now, actionUrl })).toEqual({ message: 'all green' });
  });

  it('renders severity, title, fields and a fallback as one attachment', () => {
    const post = renderPost(
      {
        title: 'Ceph degraded',
        text: 'one OSD down',
        severity: 'critical',
        fields: [
          { title: 'cluster', value: 'infra', short: true },
          { title: 'since', value: '5m' },
        ],
      },
      { signer, now },
    );
    expect(post.message).toBe('');
    const [attachment] = post.props?.attachments ?? [];
    expect(attachment).toEqual({
      fallback: '**Ceph degraded**\none OSD down\n**cluster:** infra\n**since:** 5m',
      color: COLOURS.critical,
      title: 'Ceph degraded',
      text: 'one OSD down',
      fields: [
        { title: 'cluster', value: 'infra', short: true },
        { title: 'since', value: '5m', short: false },
      ],
    });
  });

  it('makes buttons integration actions whose context carries a verifiable signed token', () => {
    const post = renderPost(
      {
        text: 'silence?',
        buttons: [
          { label: 'Silence 1h', action: 'alert.silence', payload: { group: 'g1' }, style: 'danger' },
          { label: 'Ack', action: 'alert.ack', payload: { group: 'g1' }, expiresAt: now + 1000 },
        ],
      },
      { signer, now, actionUrl },
    );
    const actions = post.props?.attachments[0]?.actions ?? [];
    expect(actions.map((a) => [a.id, a.name, a.type, a.style])).toEqual([
      ['alertsilence0', 'Silence 1h', 'button', 'danger'],
      ['alertack1', 'Ack', 'button', undefined],
    ]);
    for (const action of actions) {
      expect(action.id).toMatch(/^[a-zA-Z0-9]+$/);
      expect(action.integration.url).toBe(actionUrl);
    }
    const first = signer.verify(actions[0]?.integration.context.token ?? '', now);
    expect(first).toEqual({
      action: 'alert.silence',
      payload: { group: 'g1' },
      expiresAt: now + 7 * 86_400_000,
    });
    expect(signer.verify(actions[1]?.integration.context.token ?? '', now + 1001)).toEqual({
      refused: 'expired',
    });
    // Another key cannot verify it: the token is the only thing trusted.
    expect(new ActionSigner('other-key').verify(actions[0]?.integration.context.token ?? '', now)).toEqual({
      refused: 'bad signature',
    });
  });

  it('leaves buttons out when no public URL is configured', () => {
    const post = renderPost(
      { text: 'x', buttons: [{ label: 'Go', action: 'a', payload: {} }] },
      { signer, now },
    );
    expect(post).toEqual({ message: 'x' });
  });

  it('renders links as markdown links and drops unsafe ones', () => {
    const post = renderPost(
      {
        text: 'see',
        links: [
          { label: 'Runbook [v2]', url: 'https://runbooks.example/ceph' },
          { label: 'evil', url: 'javascript:alert(1)' },
          { label: 'break', url: 'https://x.example/a) [y](https://y' },
        ],
      },
      { signer, now },
    );
    expect(post.props?.attachments[0]?.text).toBe('see\n\n[Runbook \\[v2\\]](https://runbooks.example/ceph)');
  });

  it('keeps escaped outside text inert', () => {
    const text = `pod ${escapeChat('@channel [x](http://evil)')}`;
    expect(renderText({ text })).not.toMatch(/(^|\s)@channel|\]\(http:\/\//);
  });
});

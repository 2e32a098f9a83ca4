/**
 * Property-based tests of what reaches chat from outside: alert labels and annotations (and the
 * chat usernames an acknowledgement or silence records) full of `@all`, `@here`, `<!channel>`,
 * markdown links and images, HTML and mention syntax go through the alert renderer and then both
 * chat platforms' renderers (Mattermost attachments, Rocket.Chat message text); the shell's
 * output is checked for control characters.
 * Whatever was generated, the displayed text has no live mention, no raw HTML or `<!…>` special,
 * no markdown link or image but coxswain's own link buttons, and no URL but http(s) URLs left
 * exactly as they were (a bare URL shows where it goes). Rocket.Chat's text is read back by its
 * own message parser (test/support/rocketchat-shown.ts).
 *
 * Runs are bounded (FUZZ_RUNS); on failure fast-check prints the seed; replay with FUZZ_SEED.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { renderText as renderMattermostText, renderPost } from '../../adapters/chat/mattermost/render.js';
import { renderMessage } from '../../adapters/chat/rocketchat/render.js';
import { renderText as renderShellText } from '../../adapters/chat/shell/render-text.js';
import { type GroupState, mergeAlert, newGroup } from '../../src/alerts/group.js';
import type { OutboxAlert, WebhookAlert } from '../../src/alerts/payload.js';
import { renderGroup, renderStorm } from '../../src/alerts/render.js';
import type { Message } from '../../src/message.js';
import { ActionSigner } from '../../src/security/signing.js';
import { escapeChat, URL_IN_TEXT } from '../../src/text/escape.js';
import { isHonest, MARKUP, shown } from '../support/rocketchat-shown.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 300);
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
function runs(numRuns = RUNS): fc.Parameters<unknown> {
  return SEED === undefined ? { numRuns } : { numRuns, seed: SEED };
}

const NOW = Date.parse('2026-11-23T12:00:00Z');
const signer = new ActionSigner('fuzz-signing-key');

/** The pieces an attacker (or a careless exporter) puts into labels and annotations. */
const hostilePiece = fc.constantFrom(
  '@all',
  '@here',
  '@channel',
  '@oncall-platform',
  '@alice',
  '＠all',
  '<!channel>',
  '<!here>',
  '<!everyone>',
  '<@U123>',
  '[click me](https://evil.example/x)',
  '![img](http://evil.example/p.png)',
  '[ref]: http://evil.example',
  '<https://evil.example|label>',
  'http://evil.example/@all',
  'https://evil.example',
  'javascript:alert(1)',
  '<script>alert(1)</script>',
  '<img src=x onerror=alert(1)>',
  '<a href="http://evil.example">x</a>',
  '&lt;b&gt;',
  '#general',
  '~town-square',
  '**bold**',
  '`code`',
  '```\nblock\n```',
  '\\',
  '\\@all',
  '\\[x](http://e.example)',
  '\n# heading\n',
  '\n> quote',
  '| a | b |',
  '\u200b@all',
  '@\u200ball',
  '\r\n@here',
  '\u0000\u001b[31m',
  '\u202e',
);
const hostile = fc
  .array(fc.oneof(hostilePiece, fc.string({ unit: 'grapheme', maxLength: 8 })), {
    minLength: 1,
    maxLength: 6,
  })
  .map((parts) => parts.join(''));
const labelSet = fc.dictionary(
  fc.oneof(fc.constantFrom('alertname', 'cluster', 'namespace', 'pod', 'severity', 'summary'), hostile),
  hostile,
  { maxKeys: 6, noNullPrototype: true },
);

const alertArb: fc.Arbitrary<WebhookAlert> = fc.record({
  status: fc.constantFrom('firing' as const, 'resolved' as const),
  labels: labelSet,
  annotations: fc.record(
    {
      summary: hostile,
      description: hostile,
      runbook_url: fc.oneof(hostile, fc.constant('https://runbooks.example/r')),
      grafana_url: hostile,
    },
    { requiredKeys: [] },
  ),
  startsAt: fc.constant('2026-11-23T11:48:00Z'),
  endsAt: fc.constant('0001-01-01T00:00:00Z'),
  generatorURL: fc.oneof(hostile, fc.constant('http://prometheus.example:9090/graph?g0.expr=up')),
  fingerprint: fc.oneof(
    hostile,
    fc.stringMatching(/^[0-9a-f]{16}$/),
    fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty'),
  ),
});

const groupArb = fc
  .record({
    alerts: fc.array(alertArb, { minLength: 1, maxLength: 12 }),
    commonLabels: labelSet,
    commonAnnotations: fc.dictionary(fc.constantFrom('summary', 'description'), hostile, {
      noNullPrototype: true,
    }),
    ackers: fc.array(hostile, { maxLength: 2 }),
    silencers: fc.array(fc.tuple(hostile, hostile), { maxLength: 2 }),
  })
  .map(({ alerts, commonLabels, commonAnnotations, ackers, silencers }) => {
    const rows: OutboxAlert[] = alerts.map((alert) => ({
      groupKey: '{}:{alertname="x"}',
      receiver: 'coxswain',
      groupLabels: {},
      commonLabels,
      commonAnnotations,
      externalURL: 'http://alertmanager.example:9093',
      alert,
    }));
    const group: GroupState = newGroup(rows[0] as OutboxAlert);
    for (const row of rows) mergeAlert(group, row);
    for (const user of ackers) group.acks.push({ user, at: NOW });
    for (const [user, id] of silencers)
      group.silences.push({ user, id, until: NOW + 3_600_000, alertmanager: 'infra', at: NOW });
    return { group, alerts };
  });

/** Removes backslash-escaped characters, leaving what a markdown renderer would act on. */
function unescaped(text: string): string {
  return text.replace(/\\[\s\S]/g, '');
}

/**
 * Checks displayed chat text. `ownLinks` are the markdown links coxswain itself writes (the
 * Mattermost link buttons); they are removed first, after checking each one points to an
 * http(s) URL with nothing in it that could end the link early.
 */
function expectNeutral(displayed: string, ownLinks = false): void {
  let text = displayed;
  if (ownLinks) {
    text = text.replace(/\[(Runbook|Grafana|Source)\]\((\S+?)\)(?= · |$)/gm, (_m, _label, url: string) => {
      expect(url).toMatch(/^https?:\/\/[^\s()<>]+$/);
      return '';
    });
  }
  // A mention is `@` directly followed by a name; the escape puts a zero-width space between.
  expect(text, displayed).not.toMatch(/@(?!\u200b)/);
  const live = unescaped(text);
  // No raw HTML tag, no `<!channel>`/`<@U…>`/`<url|label>` special, no markdown link or image.
  expect(live, displayed).not.toMatch(/[<>]/);
  expect(live, displayed).not.toMatch(/\]\(|\[[^\]]*\]:/);
  expect(live, displayed).not.toMatch(/!\[/);
  // No URL but the http(s) URLs of the text, whole and bare: a client links them as they are.
  expect(text.replace(new RegExp(URL_IN_TEXT.source, 'g'), ''), displayed).not.toMatch(/[a-z]:\/\//i);
  // No control characters other than newline and tab.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for control characters is the point
  expect(text, displayed).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
}

/** Rocket.Chat's message text as its parser reads it: no mention or markup, every link honest. */
function expectRocketChatNeutral(msg: string): void {
  const seen = shown(msg);
  // The alert post's list of alerts (`- firing …`) is coxswain's own.
  const markup = MARKUP.filter((type) => type !== 'UNORDERED_LIST' && type !== 'LIST_ITEM');
  expect(
    seen.types.filter((type) => markup.includes(type)),
    msg,
  ).toEqual([]);
  for (const link of seen.links) expect(isHonest(link), `${JSON.stringify(link)} in ${msg}`).toBe(true);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for control characters is the point
  expect(msg).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
}

function expectNeutralOnEveryPlatform(message: Message): void {
  // Mattermost: the attachment's title, text and fields, and the notification fallback.
  const post = renderPost(message, {
    signer,
    now: NOW,
    actionUrl: 'https://bot.example/hooks/mattermost/action',
  });
  expectNeutral(post.message);
  for (const attachment of post.props?.attachments ?? []) {
    expectNeutral(attachment.title ?? '');
    expectNeutral(attachment.text ?? '', true);
    expectNeutral(attachment.fallback);
    for (const field of attachment.fields ?? []) expectNeutral(`${field.title}: ${field.value}`);
    for (const action of attachment.actions ?? []) expectNeutral(action.name);
  }
  expectNeutral(renderMattermostText(message));
  // Rocket.Chat: the message text (what chat.update carries), button labels and link URLs.
  for (const appId of [undefined, 'coxswain-app']) {
    const rendered = renderMessage(message, {
      signer,
      now: NOW,
      botUsername: 'coxswain',
      ...(appId ? { appId } : {}),
    });
    expectRocketChatNeutral(rendered.msg);
    for (const attachment of rendered.attachments ?? []) {
      expectNeutral(attachment.text ?? '');
      for (const action of attachment.actions ?? []) {
        expectNeutral(action.text);
        if (action.url !== undefined) expect(action.url).toMatch(/^https?:\/\/[^\s()<>]+$/);
        // The fallback button posts `@coxswain action <token>`: the bot's own mention, nothing else.
        if (action.msg !== undefined) expect(action.msg).toMatch(/^@coxswain action [A-Za-z0-9_.-]+$/);
      }
    }
    for (const block of rendered.blocks ?? []) for (const e of block.elements) expectNeutral(e.text.text);
  }
  // The shell shows the plain characters on purpose (a terminal renders no markdown), but no
  // control character may reach the terminal (an ANSI escape could rewrite what is shown).
  // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for control characters is the point
  expect(renderShellText(message)).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
}

describe('outside text in chat', () => {
  it('escapeChat neutralises any string', () => {
    fc.assert(
      fc.property(fc.oneof(hostile, fc.string({ unit: 'binary', maxLength: 60 })), (value) => {
        expectNeutral(escapeChat(value));
      }),
      runs(RUNS * 3),
    );
  });

  it('an alert group renders with every outside string neutralised, on Mattermost, Rocket.Chat and the shell', () => {
    fc.assert(
      fc.property(groupArb, ({ group }) => {
        expectNeutralOnEveryPlatform(renderGroup(group, { now: NOW }));
      }),
      runs(),
    );
  });

  it('the configured on-call mention is the only live mention in a critical post', () => {
    fc.assert(
      fc.property(groupArb, ({ group }) => {
        for (const alert of Object.values(group.alerts)) {
          alert.status = 'firing';
          alert.labels.severity = 'critical';
        }
        const message = renderGroup(group, { now: NOW, mention: '@oncall-platform' });
        const text = renderPost(message, { signer, now: NOW }).props?.attachments[0]?.text ?? '';
        // The mention line stands alone when the group has nothing more to say (no summary, no
        // link: a generator URL that is not http(s) is dropped).
        expect(text).toMatch(/^@oncall-platform critical alert(\n|$)/);
        expectNeutral(text.replace(/^@oncall-platform critical alert\n?/, ''), true);
      }),
      runs(),
    );
  });

  it('the storm summary neutralises alert names', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(hostile, fc.nat(500)), { minLength: 1, maxLength: 8 }), (names) => {
        const message = renderStorm(
          { since: NOW, groups: names.length, alerts: 10, byAlertname: new Map(names) },
          100,
          '1m',
        );
        expectNeutralOnEveryPlatform(message);
      }),
      runs(),
    );
  });

  it('every alert of a group is counted in its post, whatever its fingerprint', () => {
    fc.assert(
      fc.property(fc.array(alertArb, { minLength: 1, maxLength: 8 }), (alerts) => {
        const firing = alerts.map((a) => ({ ...a, status: 'firing' as const }));
        const rows: OutboxAlert[] = firing.map((alert) => ({
          groupKey: 'g',
          receiver: 'r',
          groupLabels: {},
          commonLabels: {},
          commonAnnotations: {},
          externalURL: '',
          alert,
        }));
        const group = newGroup(rows[0] as OutboxAlert);
        for (const row of rows) mergeAlert(group, row);
        const distinct = new Set(firing.map((a) => a.fingerprint)).size;
        expect(Object.keys(group.alerts)).toHaveLength(distinct);
        // As rendered now, and after the store's JSON round trip (alert_groups) on a restart.
        const reloaded = JSON.parse(JSON.stringify(group)) as GroupState;
        for (const g of [group, reloaded]) {
          const title = renderGroup(g, { now: NOW }).title ?? '';
          expect(title).toMatch(distinct > 1 ? new RegExp(`^FIRING \\(${distinct}\\): `) : /^FIRING: /);
        }
      }),
      runs(),
    );
  });
});

/**
 * What Rocket.Chat shows for coxswain's text, read by Rocket.Chat's own message parser
 * (@rocket.chat/message-parser, the package its server uses to turn `msg` into the `md` tree
 * clients render; no server needed). Hostile outside strings, escaped by escapeChat and rendered
 * by the Rocket.Chat renderer, must come out as exactly the characters they were: no mention,
 * link, emphasis, code, KaTeX, colour, time, spoiler, quote or heading made of them, and no
 * backslash that was not in them. Any mix of markup characters: test/fuzz/rocketchat-markup.test.ts.
 */
import { parse } from '@rocket.chat/message-parser';
import { describe, expect, it } from 'vitest';
import { renderText } from '../../../adapters/chat/rocketchat/render.js';
import { escapeChat, inlineCode } from '../../../src/text/escape.js';
import { MARKUP, PARSER_OPTIONS as OPTIONS, shown } from '../../support/rocketchat-shown.js';

const HOSTILE = [
  '90% (node x)',
  '@all disk full, @here too; cc @alice and ops@example.com',
  '#general #ops and # heading',
  '[click here](https://evil.example/steal) and ![img](https://evil.example/x.png)',
  '<https://evil.example|https://good.example> and <t:1700000000:f>',
  '*bold* **bolder** _italic_ __under__ ~~strike~~ ~s~',
  '`code` and ``double``',
  'katex \\(x^2\\) and \\[y\\] in C:\\Users\\x',
  '||spoiler|| and a|b',
  'color:#ff0000 and +4915112345678',
  '> not a quote',
  'a_b_c and snake_case_name and *args, **kwargs',
  'literal \\*star\\* and \\_under\\_ and \\\\ double',
  '{json: [1, 2]} and (parens) and !bang',
];

/** What a Rocket.Chat post of that text shows: its title, a bold summary, a line and a field. */
function render(hostile: string): string {
  const escaped = escapeChat(hostile);
  return renderText({
    title: `FIRING: ${escaped}`,
    text: `**${escaped}**\n${escaped}`,
    fields: [{ title: 'pod', value: escaped }],
  });
}

describe('the Rocket.Chat renderer, read by Rocket.Chat’s message parser', () => {
  for (const hostile of HOSTILE) {
    it(`shows ${JSON.stringify(hostile)} as it is, and nothing of it as markup`, () => {
      const seen = shown(render(hostile));
      expect(seen.text).toBe(`FIRING: ${hostile}\n${hostile}\n${hostile}\npod: ${hostile}`);
      expect(seen.types.filter((type) => MARKUP.includes(type))).toEqual([]);
      // The only links are URLs that were in the text, shown as themselves: none disguised.
      for (const link of seen.links) {
        expect(link.src).toBe(link.label);
        expect(hostile).toContain(link.src);
      }
    });
  }

  it('no longer shows the backslashes of escapes (the bug: `90% \\(node x\\)`)', () => {
    expect(render('90% (node x)')).not.toContain('\\');
    expect(shown(renderText({ text: escapeChat('90% (node x)') })).text).toBe('90% (node x)');
  });

  it('keeps coxswain’s own markup: bold title and field names, code spans', () => {
    const msg = renderText({
      title: 'Confirm',
      text: `Run ${inlineCode('/ops phase run apps-validation')}?`,
      fields: [{ title: 'Cluster', value: 'apps' }],
    });
    const tree = JSON.stringify(parse(msg, OPTIONS)).replace(/\u200b/g, '');
    expect(tree).toContain('{"type":"BOLD","value":[{"type":"PLAIN_TEXT","value":"Confirm"}]}');
    expect(tree).toContain(
      '{"type":"INLINE_CODE","value":{"type":"PLAIN_TEXT","value":"/ops phase run apps-validation"}}',
    );
    expect(tree).toContain('{"type":"BOLD","value":[{"type":"PLAIN_TEXT","value":"Cluster:"}]}');
  });

  it('keeps URLs in alert text clickable and exact, even on hosts it does not auto-link', () => {
    const urls = [
      'https://runbooks.example.com/alerts/KubePodCrashLooping#fix_it',
      'http://prometheus:9090/graph?g0.expr=up%7Bjob%3D%22node%22%7D+%3D%3D+0&g0.tab=1',
      'http://host/_x_/~y~/a_b',
      'http://10.0.0.1:9093/#/alerts?silenced=false',
    ];
    for (const url of urls) {
      const hostile = `see ${url}, then (${url}) or [x](${url})`;
      const seen = shown(render(hostile));
      expect(seen.text).toContain(hostile);
      expect(seen.types.filter((type) => MARKUP.includes(type))).toEqual([]);
      // Every link is the URL itself: its text is its target, and copying it copies the URL.
      expect(seen.links.length).toBeGreaterThanOrEqual(3);
      for (const link of seen.links) expect(link).toEqual({ src: url, label: url });
    }
  });
});

/**
 * Any mix of markup characters in outside strings, escaped by escapeChat and rendered for
 * Rocket.Chat, read back by Rocket.Chat's own message parser (test/support/rocketchat-shown.ts):
 * the visible text is the string itself (no backslash added, none lost), none of it becomes a
 * mention or markup, and every link shows where it goes.
 *
 * Runs are bounded (FUZZ_RUNS); on failure fast-check prints the seed; replay with FUZZ_SEED.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { renderText } from '../../adapters/chat/rocketchat/render.js';
import { escapeChat } from '../../src/text/escape.js';
import { isHonest, MARKUP, shown } from '../support/rocketchat-shown.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 300);
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);

const piece = fc.constantFrom(
  // Not `-` alone: `- ` opening a line is a list on both platforms (escapeChat leaves it).
  // Not `.`: a bare domain (`a.all`) directly followed by an escaped `*` is auto-linked with the
  // escape's backslash in it, a known gap (adapters/chat/rocketchat/markup.ts).
  ...'*_~`#<>[]()|\\+!{}@$ :,=;^\n'.split(''),
  ':-',
  'a',
  '1',
  'all',
  'here',
  'http://x.example.com/a_b',
  'http://prometheus:9090/g?x=a_b_',
  't:1700000000',
  'color:#fff',
);

/** Empty lines are no paragraph there, and a paragraph's trailing spaces are trimmed. */
function lines(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.trimEnd())
    .filter((line) => line !== '');
}

describe('Rocket.Chat markup of outside text', () => {
  it('shows any mix of markup characters as it is, none of it as markup', () => {
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 24 }), (pieces) => {
        const hostile = pieces.join('');
        const escaped = escapeChat(hostile);
        const msg = renderText({
          title: `FIRING: ${escaped}`,
          text: `**${escaped}**\n${escaped}`,
          fields: [{ title: 'pod', value: escaped }],
        });
        const seen = shown(msg);
        const expected = `FIRING: ${hostile}\n${hostile}\n${hostile}\npod: ${hostile}`;
        expect(lines(seen.text), JSON.stringify(msg)).toEqual(lines(expected));
        expect(seen.types.filter((type) => MARKUP.includes(type))).toEqual([]);
        for (const link of seen.links) expect(isHonest(link), JSON.stringify(link)).toBe(true);
      }),
      SEED === undefined ? { numRuns: RUNS * 3 } : { numRuns: RUNS * 3, seed: SEED },
    );
  });
});

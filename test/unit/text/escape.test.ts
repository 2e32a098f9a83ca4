import { describe, expect, it } from 'vitest';
import { escapeChat, inlineCode } from '../../../src/text/escape.js';

describe('escapeChat', () => {
  it('stops mentions', () => {
    for (const mention of ['@all', '@here', '@channel', '@alice']) {
      const escaped = escapeChat(`hey ${mention}`);
      expect(escaped).not.toMatch(/@[a-z]/);
      expect(escaped.replace(/\u200b/g, '')).toBe(`hey ${mention}`);
    }
  });

  it('stops markdown links, images and HTML', () => {
    const escaped = escapeChat(
      '[click](https://evil.example) ![x](http://a/b.png) <script>alert(1)</script>',
    );
    expect(escaped).not.toMatch(/(^|[^\\])\[click\]/);
    expect(escaped).not.toContain('https://');
    expect(escaped).not.toMatch(/(^|[^\\])</);
  });

  it('keeps text readable and strips control characters', () => {
    expect(escapeChat('pod web-1 in ns\u0007 a\u001b[31m')).toBe('pod web-1 in ns a\\[31m');
    expect(escapeChat(undefined)).toBe('');
  });
});

describe('inlineCode', () => {
  it('cannot be closed early by a backtick or a newline', () => {
    expect(inlineCode('a`b\nc')).toBe('`aˋb c`');
  });
});

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
      '[click](https://evil.example) ![x](http://a/b.png) <script>alert(1)</script> <https://evil.example|good>',
    );
    expect(escaped).not.toMatch(/(^|[^\\])\[click\]/);
    expect(escaped).not.toMatch(/(^|[^\\])</);
    // The URLs stay, bare: a client links them showing where they go.
    expect(escaped).toBe(
      '\\[click\\]\\(https://evil.example\\) \\!\\[x\\]\\(http://a/b.png\\) \\<script\\>alert\\(1\\)\\</script\\> \\<https://evil.example\\|good\\>',
    );
  });

  // The zero-width space it used to put into `://` made every URL in alert text unclickable,
  // and a copy of it was not the URL.
  it('leaves URLs exactly as they are, so they stay clickable and copy as themselves', () => {
    const urls = [
      'https://runbooks.example.com/alerts/KubePodCrashLooping#fix_it',
      'http://prometheus:9090/graph?g0.expr=up%7Bjob%3D%22node%22%7D+%3D%3D+0&g0.tab=1',
      'https://grafana.example.com/d/abc/nodes?orgId=1&var-node=web_1&from=now-1h',
      'http://10.0.0.1:9093/#/alerts?silenced=false',
    ];
    for (const url of urls) {
      expect(escapeChat(`see ${url} now`)).toBe(`see ${url} now`);
      expect(escapeChat(`(${url}).`)).toBe(`\\(${url}\\).`);
    }
    expect(escapeChat('https://x.example/a_b,')).toBe('https://x.example/a_b,');
    // `@` ends a URL, so a mention cannot ride in one a platform does not link.
    expect(escapeChat('http://h/@all')).toBe('http://h/@\u200ball');
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

import { describe, expect, it } from 'vitest';
import { tokenize } from '../../../src/router/tokenize.js';

describe('tokenize', () => {
  it('splits on whitespace and keeps quoted words whole', () => {
    expect(tokenize('incident open "db is down" --sev 2')).toEqual({
      words: ['incident', 'open', 'db is down', '--sev', '2'],
    });
    expect(tokenize("silence add alertname='A B'")).toEqual({ words: ['silence', 'add', 'alertname=A B'] });
  });

  it('reads the typographic quotes chat clients put in place of typed ones', () => {
    expect(tokenize('incident open \u201cdisk full\u201d')).toEqual({
      words: ['incident', 'open', 'disk full'],
    });
    expect(tokenize('note \u2018a b\u2019')).toEqual({ words: ['note', 'a b'] });
  });

  it('keeps escaped quotes and an empty quoted word', () => {
    expect(tokenize('a "say \\"hi\\"" ""')).toEqual({ words: ['a', 'say "hi"', ''] });
  });

  it('reports an unclosed quote instead of guessing', () => {
    expect(tokenize('incident open "half')).toEqual({ error: 'a quote (") is not closed' });
  });

  it('does no shell expansion', () => {
    expect(tokenize('health $(rm -rf /) `id` ~')).toEqual({
      words: ['health', '$(rm', '-rf', '/)', '`id`', '~'],
    });
  });
});

import { describe, expect, it } from 'vitest';
import { CommandTokens } from '../../../adapters/chat/mattermost/verify-request.js';

describe('slash command token check', () => {
  const tokens = new CommandTokens();
  tokens.set('team1', 'a'.repeat(26));
  tokens.set('team2', 'b'.repeat(26));

  it('accepts the token of any registered team, with or without the Authorization header', () => {
    expect(tokens.check('a'.repeat(26), undefined)).toBeUndefined();
    expect(tokens.check('b'.repeat(26), `Token ${'b'.repeat(26)}`)).toBeUndefined();
  });

  it('refuses a wrong, shorter, missing or non-string token', () => {
    expect(tokens.check('c'.repeat(26), undefined)).toBe('token mismatch');
    expect(tokens.check('a', undefined)).toBe('token mismatch');
    expect(tokens.check('', undefined)).toBe('missing token');
    expect(tokens.check(undefined, undefined)).toBe('missing token');
    expect(tokens.check(['a'.repeat(26)], undefined)).toBe('missing token');
  });

  it('refuses a header that disagrees with the form', () => {
    expect(tokens.check('a'.repeat(26), `Token ${'b'.repeat(26)}`)).toBe('authorization header mismatch');
    expect(tokens.check('a'.repeat(26), 'Bearer xyz')).toBe('authorization header mismatch');
  });

  it('refuses everything while no command is registered', () => {
    expect(new CommandTokens().check('a'.repeat(26), undefined)).toBe('no command is registered');
  });
});

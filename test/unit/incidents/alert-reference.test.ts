import { describe, expect, it } from 'vitest';
import { postIdOfLink } from '../../../src/incidents/alert-reference.js';

describe('postIdOfLink', () => {
  it('reads the post id of Mattermost and Rocket.Chat links', () => {
    expect(postIdOfLink('https://chat.example/platform/pl/8xk3n1qz7jfuj')).toBe('8xk3n1qz7jfuj');
    expect(postIdOfLink('https://rc.example/channel/alerts?msg=Xk2pWq9')).toBe('Xk2pWq9');
    expect(postIdOfLink('https://rc.example/group/inc-1/?msg=abc#x')).toBe('abc');
  });

  it('says a fingerprint, or a link of another scheme, is not a link', () => {
    expect(postIdOfLink('5f3c9a1e22b0d7c4')).toBeUndefined();
    expect(postIdOfLink('javascript:alert(1)')).toBeUndefined();
    expect(postIdOfLink('ftp://x/y')).toBeUndefined();
  });
});

/**
 * The signature on requests between the coxswain Rocket.Chat App and the bot. (Rocket.Chat is
 * only ever a protocol double in this repository, since no real server can run here; this file
 * needs no server at all.)
 */
import { describe, expect, it } from 'vitest';
import {
  SIGNATURE_HEADER,
  signHookBody,
  TIMESTAMP_HEADER,
  verifyHookBody,
} from '../../../adapters/chat/rocketchat/hook-signature.js';

const secret = 'x'.repeat(40);
const now = 1_800_000_000_000;
const body = JSON.stringify({ command: 'ops', text: 'health' });

describe('hook signatures', () => {
  const headers = signHookBody(secret, body, now);

  it('accepts what the other side signed', () => {
    expect(verifyHookBody(secret, body, headers, now + 1000)).toBeUndefined();
  });

  it('refuses a changed body, another secret, and missing headers', () => {
    expect(verifyHookBody(secret, body.replace('health', 'drill'), headers, now)).toBe('bad signature');
    expect(verifyHookBody('y'.repeat(40), body, headers, now)).toBe('bad signature');
    expect(verifyHookBody(secret, body, {}, now)).toBe('unsigned');
    expect(verifyHookBody(secret, body, { [TIMESTAMP_HEADER]: headers[TIMESTAMP_HEADER] }, now)).toBe(
      'unsigned',
    );
  });

  it('refuses a replay older than five minutes and a timestamp that is not a number', () => {
    expect(verifyHookBody(secret, body, headers, now + 5 * 60_000 + 1000)).toBe('stale timestamp');
    expect(verifyHookBody(secret, body, { ...headers, [TIMESTAMP_HEADER]: '17e8' }, now)).toBe(
      'malformed timestamp',
    );
  });

  it('refuses a signature moved to another timestamp', () => {
    const later = signHookBody(secret, body, now + 10_000);
    const moved = {
      [TIMESTAMP_HEADER]: later[TIMESTAMP_HEADER],
      [SIGNATURE_HEADER]: headers[SIGNATURE_HEADER],
    };
    expect(verifyHookBody(secret, body, moved, now + 10_000)).toBe('bad signature');
  });
});

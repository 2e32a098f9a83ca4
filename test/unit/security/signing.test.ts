import { describe, expect, it } from 'vitest';
import { ActionSigner } from '../../../src/security/signing.js';

const now = 1_800_000_000_000;

describe('ActionSigner', () => {
  const signer = new ActionSigner('k'.repeat(32));
  const token = signer.sign({ action: 'router.confirm', payload: { id: 'abc' }, expiresAt: now + 1000 });

  it('round-trips a signed action', () => {
    expect(signer.verify(token, now)).toEqual({
      action: 'router.confirm',
      payload: { id: 'abc' },
      expiresAt: now + 1000,
    });
  });

  it('refuses an expired token', () => {
    expect(signer.verify(token, now + 1000)).toEqual({ refused: 'expired' });
  });

  it('refuses a token signed with another key, or changed', () => {
    expect(new ActionSigner('x'.repeat(32)).verify(token, now)).toEqual({ refused: 'bad signature' });
    const [body, mac] = token.split('.');
    const forged = Buffer.from(JSON.stringify(['router.confirm', { id: 'other' }, now + 1000])).toString(
      'base64url',
    );
    expect(signer.verify(`${forged}.${mac}`, now)).toEqual({ refused: 'bad signature' });
    expect(signer.verify(`${body}`, now)).toEqual({ refused: 'malformed' });
    expect(signer.verify(`${body}.${mac}.x`, now)).toEqual({ refused: 'malformed' });
  });
});

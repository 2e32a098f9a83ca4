/**
 * Signed button payloads. Neither Mattermost nor Rocket.Chat signs an action callback, so the
 * bot signs what it puts behind a button and refuses any callback whose signature or expiry
 * does not check out. The token is `base64url(json).base64url(hmac-sha256)`.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export interface SignedAction {
  action: string;
  payload: Record<string, string>;
  /** Epoch ms after which the button no longer works. */
  expiresAt: number;
}

export class ActionSigner {
  private readonly key: Buffer;

  constructor(key?: string) {
    this.key = key ? Buffer.from(key, 'utf8') : randomBytes(32);
  }

  sign(action: SignedAction): string {
    const body = Buffer.from(
      JSON.stringify([action.action, action.payload, action.expiresAt]),
      'utf8',
    ).toString('base64url');
    return `${body}.${this.mac(body)}`;
  }

  /** The action, or a reason it is refused. */
  verify(token: string, now: number): SignedAction | { refused: string } {
    const [body, mac, extra] = token.split('.');
    if (!body || !mac || extra !== undefined) return { refused: 'malformed' };
    const expected = Buffer.from(this.mac(body), 'utf8');
    const given = Buffer.from(mac, 'utf8');
    if (expected.length !== given.length || !timingSafeEqual(expected, given))
      return { refused: 'bad signature' };
    let decoded: unknown;
    try {
      decoded = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    } catch {
      return { refused: 'malformed' };
    }
    if (!Array.isArray(decoded) || decoded.length !== 3) return { refused: 'malformed' };
    const [action, payload, expiresAt] = decoded as [unknown, unknown, unknown];
    if (typeof action !== 'string' || typeof expiresAt !== 'number' || !isStringRecord(payload)) {
      return { refused: 'malformed' };
    }
    if (expiresAt <= now) return { refused: 'expired' };
    return { action, payload, expiresAt };
  }

  private mac(body: string): string {
    return createHmac('sha256', this.key).update(body).digest('base64url');
  }
}

function isStringRecord(value: unknown): value is Record<string, string> {
  return (
    value !== null &&
    typeof value === 'object' &&
    !Array.isArray(value) &&
    Object.values(value as object).every((v) => typeof v === 'string')
  );
}

/**
 * The coxswain Rocket.Chat App and the bot sign what they send each other over HTTP (slash
 * command invocations and block actions one way, ephemeral notices the other): Rocket.Chat
 * itself signs neither. Signature: hex HMAC-SHA256 over `<timestamp>.<raw body>` with the
 * shared `chat.rocketchat.appSecret`; a request older than five minutes is refused so a captured
 * one cannot be replayed later.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-coxswain-signature';
export const TIMESTAMP_HEADER = 'x-coxswain-timestamp';
const MAX_SKEW_MS = 5 * 60_000;

export function signHookBody(secret: string, body: string, nowMs: number): Record<string, string> {
  const timestamp = String(Math.floor(nowMs / 1000));
  return { [TIMESTAMP_HEADER]: timestamp, [SIGNATURE_HEADER]: `v1=${mac(secret, timestamp, body)}` };
}

/** Undefined when the request is genuine, otherwise why it is refused. */
export function verifyHookBody(
  secret: string,
  body: string,
  headers: Record<string, string | string[] | undefined>,
  nowMs: number,
): string | undefined {
  const timestamp = single(headers[TIMESTAMP_HEADER]);
  const signature = single(headers[SIGNATURE_HEADER]);
  if (!timestamp || !signature) return 'unsigned';
  if (!/^\d{1,12}$/.test(timestamp)) return 'malformed timestamp';
  if (Math.abs(nowMs - Number(timestamp) * 1000) > MAX_SKEW_MS) return 'stale timestamp';
  const expected = Buffer.from(`v1=${mac(secret, timestamp, body)}`, 'utf8');
  const given = Buffer.from(signature, 'utf8');
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return 'bad signature';
  return undefined;
}

function mac(secret: string, timestamp: string, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Every replica must sign buttons with the same key: a button one replica made and another
 * verifies with a different key is refused (403), and which replica a click reaches is up to the
 * Service. So replicas on one PostgreSQL compare keys through the store, by a fingerprint (an
 * HMAC of a fixed text, never the key): a replica whose key differs from one that was alive in
 * the last two minutes refuses to start and says why. To change the key, stop every replica (or
 * roll them with the old one gone for two minutes); the first to start then records the new one.
 * A running replica refreshes the record, so "alive" is known.
 */
import { createHmac } from 'node:crypto';
import type { Logger } from '../log.js';
import type { Store } from '../store/store.js';

const SETTING = 'signing-key-fingerprint';
/** A replica that wrote the fingerprint within this long counts as running. */
export const SIGNING_KEY_ALIVE_MS = 2 * 60_000;
const REFRESH_MS = 30_000;

export class SigningKeyMismatch extends Error {}

export function signingKeyFingerprint(key: string): string {
  return createHmac('sha256', key).update('coxswain signing key fingerprint').digest('hex').slice(0, 16);
}

export interface SharedKeyOptions {
  store: Store;
  /** security.signingKey; unset means a random key per process. */
  key: string | undefined;
  replicas: number;
  identity: string;
  log: Logger;
  now?: () => number;
}

/**
 * Checks this replica's key against the other replicas' and keeps the record fresh; returns a
 * stop function. Throws SigningKeyMismatch (with the fix in its message) when it must not start.
 * Only for a shared PostgreSQL store: SQLite is one replica.
 */
export async function checkSharedSigningKey(options: SharedKeyOptions): Promise<() => void> {
  const { store, key, replicas, identity, log } = options;
  const now = options.now ?? Date.now;
  if (store.driver !== 'postgres') return () => undefined;
  if (!key) {
    if (replicas > 1)
      throw new SigningKeyMismatch(
        `security.signingKey is not set but leaderElection.replicas is ${replicas}: each replica would sign buttons with its own random key and refuse the others' clicks (403). Set the same security.signingKey (at least 32 characters) on every replica.`,
      );
    return () => undefined;
  }
  const mine = signingKeyFingerprint(key);
  const stored = await store.getSetting(SETTING);
  if (!stored) await store.putSetting(SETTING, mine, identity, now(), null);
  else if (stored.value !== mine) {
    const ageMs = now() - stored.updatedAt;
    if (ageMs < SIGNING_KEY_ALIVE_MS)
      throw new SigningKeyMismatch(
        `security.signingKey differs from the key replica ${stored.owner} signs with (it was running ${Math.round(ageMs / 1000)}s ago): buttons made by one would be refused by the other. Give every replica the same security.signingKey; to change the key, stop all replicas first (or start the new key ${SIGNING_KEY_ALIVE_MS / 60_000} minutes after the last old one stopped).`,
      );
    if (await store.putSetting(SETTING, mine, identity, now(), stored.value))
      log.warn(
        { previousOwner: stored.owner },
        'security.signingKey changed since the replicas last ran: buttons on posts made before are refused as not valid',
      );
  }
  const timer = setInterval(() => {
    store.putSetting(SETTING, mine, identity, now(), mine).then(
      (held) => {
        if (!held)
          log.error(
            { identity },
            'another replica recorded a different security.signingKey: clicks signed by it are refused here; give every replica the same key',
          );
      },
      (error: unknown) => log.warn({ err: error }, 'could not refresh the signing key record in the store'),
    );
  }, REFRESH_MS);
  timer.unref?.();
  return () => clearInterval(timer);
}

/**
 * Replicas on one PostgreSQL must sign buttons with one key. A replica started with another key
 * while one with the first was running refuses to start, saying what to do; without a key at
 * all, several replicas refuse too; a key changed while every replica was stopped is taken, with
 * a warning. Against a real PostgreSQL this suite starts.
 */
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  checkSharedSigningKey,
  SIGNING_KEY_ALIVE_MS,
  SigningKeyMismatch,
} from '../../../src/security/shared-signing-key.js';
import { openStore } from '../../../src/store/open-store.js';
import type { Store } from '../../../src/store/store.js';
import { type PostgresServer, startPostgres } from '../../support/postgres.js';

let pg: PostgresServer;
let stores: Store[] = [];
const log = pino({ level: 'silent' });
const KEY_A = 'a'.repeat(40);
const KEY_B = 'b'.repeat(40);

beforeAll(async () => {
  pg = await startPostgres();
});
afterAll(() => pg?.stop());
afterEach(async () => {
  for (const store of stores) await store.close();
  stores = [];
  const { default: pgLib } = await import('pg');
  const client = new pgLib.Client({ connectionString: pg.url });
  await client.connect();
  await client.query('DROP SCHEMA public CASCADE; CREATE SCHEMA public;');
  await client.end();
});

async function open(): Promise<Store> {
  const store = await openStore({ driver: 'postgres', sqlite: { path: '' }, postgres: { url: pg.url } });
  stores.push(store);
  return store;
}

describe('one signing key for every replica', () => {
  it('a second replica with the same key starts; one with another key is refused with the fix', async () => {
    const clock = { now: 1_000_000 };
    const now = () => clock.now;
    const stopA = await checkSharedSigningKey({
      store: await open(),
      key: KEY_A,
      replicas: 2,
      identity: 'pod-a',
      log,
      now,
    });
    const stopSame = await checkSharedSigningKey({
      store: await open(),
      key: KEY_A,
      replicas: 2,
      identity: 'pod-b',
      log,
      now,
    });
    clock.now += 30_000;
    const refused = checkSharedSigningKey({
      store: await open(),
      key: KEY_B,
      replicas: 2,
      identity: 'pod-c',
      log,
      now,
    });
    await expect(refused).rejects.toThrow(SigningKeyMismatch);
    await expect(refused).rejects.toThrow(
      /differs from the key replica pod-(a|b) signs with .* same security\.signingKey/,
    );
    stopA();
    stopSame();
  });

  it('several replicas without a key are refused', async () => {
    await expect(
      checkSharedSigningKey({ store: await open(), key: undefined, replicas: 3, identity: 'pod-a', log }),
    ).rejects.toThrow('security.signingKey is not set but leaderElection.replicas is 3');
    // One replica may go without: it signs and verifies its own buttons.
    const stop = await checkSharedSigningKey({
      store: await open(),
      key: undefined,
      replicas: 1,
      identity: 'pod-a',
      log,
    });
    stop();
  });

  it('a key changed while every replica was stopped is recorded, and the next replica must match it', async () => {
    const clock = { now: 5_000_000 };
    const now = () => clock.now;
    (
      await checkSharedSigningKey({
        store: await open(),
        key: KEY_A,
        replicas: 2,
        identity: 'pod-a',
        log,
        now,
      })
    )();
    clock.now += SIGNING_KEY_ALIVE_MS + 1;
    (
      await checkSharedSigningKey({
        store: await open(),
        key: KEY_B,
        replicas: 2,
        identity: 'pod-a',
        log,
        now,
      })
    )();
    await expect(
      checkSharedSigningKey({ store: await open(), key: KEY_A, replicas: 2, identity: 'pod-b', log, now }),
    ).rejects.toThrow(SigningKeyMismatch);
  });
});

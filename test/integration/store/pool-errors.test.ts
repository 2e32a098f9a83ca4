/**
 * A PostgreSQL connection that the server drops while coxswain is not using it (a restart, a
 * failover, an administrator's pg_terminate_backend) must be a log line and a metric, never a
 * crash: pg reports it as an `error` event, and an `error` event nobody listens to ends the
 * process. Against a real server this suite starts; the connections are ended by the server.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresDriver } from '../../../src/store/postgres-driver.js';
import { type PostgresServer, startPostgres } from '../../support/postgres.js';

let server: PostgresServer;

beforeAll(async () => {
  server = await startPostgres();
});
afterAll(() => server?.stop());

/** Ends a backend from another session, as the server does on a restart or failover. */
async function terminate(pid: number): Promise<void> {
  const admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
  await admin.query('SELECT pg_terminate_backend($1)', [pid]);
  await admin.end();
}

async function waitFor(probe: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !probe(); i++) await new Promise((resolve) => setTimeout(resolve, 25));
}

describe('PostgreSQL connections that fail while idle', () => {
  it('reports an idle pooled connection the server ended, and the next query succeeds', async () => {
    const errors: Error[] = [];
    const driver = new PostgresDriver(server.url, { onConnectionError: (error) => errors.push(error) });
    const [row] = await driver.all('SELECT pg_backend_pid() AS pid');
    await terminate(Number(row?.pid));
    await waitFor(() => errors.length > 0);
    expect(errors.length).toBe(1);
    expect(errors[0]?.message).toMatch(/terminat/i);
    expect(await driver.all('SELECT 1 AS ok')).toEqual([{ ok: 1 }]);
    await driver.close();
  });

  it('a transaction whose connection is ended between two statements fails; the pool recovers', async () => {
    const errors: Error[] = [];
    const driver = new PostgresDriver(server.url, { onConnectionError: (error) => errors.push(error) });
    const work = driver.transaction(async (tx) => {
      const [row] = await tx.all('SELECT pg_backend_pid() AS pid');
      await terminate(Number(row?.pid));
      // Idle inside the transaction while the server ends it: the `error` event fires now.
      await waitFor(() => errors.length > 0);
      await tx.all('SELECT 1 AS ok');
    });
    await expect(work).rejects.toThrow();
    expect(errors.length).toBeGreaterThanOrEqual(1);
    expect(await driver.all('SELECT 2 AS ok')).toEqual([{ ok: 2 }]);
    await driver.close();
  });
});

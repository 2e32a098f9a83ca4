/**
 * A PostgreSQL connection that the server drops (a restart, a failover, an administrator's
 * pg_terminate_backend) must be a log line and a metric, told once per connection, never a
 * crash: pg reports it as an `error` event, and an `error` event nobody listens to ends the
 * process. A connection dropped while it carries a query is told too: pg gives that one to the
 * query, not as an event. Against a real server this suite starts; the server ends the
 * connections.
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

describe('PostgreSQL connections the server drops', () => {
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

  it('reports once a connection ended while its query runs; the query fails and the next one succeeds', async () => {
    const errors: Error[] = [];
    const driver = new PostgresDriver(server.url, { onConnectionError: (error) => errors.push(error) });
    const [row] = await driver.all('SELECT pg_backend_pid() AS pid');
    // The pool's one connection carries the sleep; the server ends it mid-query.
    const sleeping = expect(driver.all('SELECT pg_sleep(30) AS slept')).rejects.toThrow(/terminat/i);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await terminate(Number(row?.pid));
    await sleeping;
    // Any second report of the same connection (its socket closing) would come by now.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(errors.map((error) => error.message)).toEqual([expect.stringMatching(/terminat/i)]);
    expect(await driver.all('SELECT 3 AS ok')).toEqual([{ ok: 3 }]);
    await driver.close();
  });

  it('does not count a query that fails for its own reasons', async () => {
    const errors: Error[] = [];
    const driver = new PostgresDriver(server.url, { onConnectionError: (error) => errors.push(error) });
    await expect(driver.all('SELECT no_such_column FROM pg_class')).rejects.toThrow(/no_such_column/);
    await expect(driver.all('SELECT 1/0 AS x')).rejects.toThrow(/division by zero/);
    expect(errors).toEqual([]);
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
    expect(errors.length).toBe(1);
    expect(await driver.all('SELECT 2 AS ok')).toEqual([{ ok: 2 }]);
    await driver.close();
  });
});

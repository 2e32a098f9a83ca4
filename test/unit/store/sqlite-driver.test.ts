/**
 * The SQLite driver's lazy view (commits that need not wait for the disk) on a real database file:
 * what goes through it is committed and readable, and every other commit is made with
 * synchronous=FULL (the outbox row behind a webhook's 200 must survive a power cut). The level is
 * switched only when a statement needs the other one: on the alert path it stays NORMAL.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteDriver } from '../../../src/store/sqlite-driver.js';

const FULL = 2;
const NORMAL = 1;
let dir: string;
let driver: SqliteDriver;

const synchronous = async () => Number((await driver.all('PRAGMA synchronous'))[0]?.synchronous);

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'coxswain-sqlite-driver-'));
  driver = new SqliteDriver(join(dir, 'test.db'));
  await driver.run('CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER)');
});

afterEach(async () => {
  await driver.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the SQLite driver', () => {
  it('commits a lazy statement with synchronous=NORMAL and the next durable write with FULL', async () => {
    // A prepared `PRAGMA synchronous = …` takes effect when prepared, not when run: this failed
    // while the driver kept the two levels as prepared statements (the last prepared won).
    expect(await synchronous()).toBe(FULL);
    await driver.lazy.run('INSERT INTO t (k, v) VALUES (?, ?)', ['a', 1]);
    const during = Number((await driver.lazy.all('PRAGMA synchronous'))[0]?.synchronous);
    expect(during).toBe(NORMAL);
    // A read commits nothing: it leaves the level where the lazy write put it.
    expect(await driver.all('SELECT v FROM t WHERE k = ?', ['a'])).toEqual([{ v: 1 }]);
    expect(await synchronous()).toBe(NORMAL);
    // A write that is not lazy is made at FULL.
    await driver.run('INSERT INTO t (k, v) VALUES (?, ?)', ['a2', 2]);
    expect(await synchronous()).toBe(FULL);
    // Lazy again, twice: NORMAL both times (set once, not around each statement).
    await driver.lazy.run('INSERT INTO t (k, v) VALUES (?, ?)', ['a3', 3]);
    await driver.lazy.run('INSERT INTO t (k, v) VALUES (?, ?)', ['a4', 4]);
    expect(await synchronous()).toBe(NORMAL);
    // A durable write that RETURNs rows (through all) is a write too.
    expect(await driver.all('INSERT INTO t (k, v) VALUES (?, ?) RETURNING v', ['a5', 5])).toEqual([{ v: 5 }]);
    expect(await synchronous()).toBe(FULL);
  });

  it('commits a lazy transaction whole at NORMAL, a failed one not at all, and a durable one at FULL', async () => {
    await driver.lazy.transaction(async (tx) => {
      await tx.run('INSERT INTO t (k, v) VALUES (?, ?)', ['b', 2]);
      expect(await synchronous()).toBe(NORMAL);
      await tx.run('INSERT INTO t (k, v) VALUES (?, ?)', ['c', 3]);
    });
    await expect(
      driver.lazy.transaction(async (tx) => {
        await tx.run('INSERT INTO t (k, v) VALUES (?, ?)', ['d', 4]);
        await tx.run('INSERT INTO t (k, v) VALUES (?, ?)', ['b', 5]); // primary key taken
      }),
    ).rejects.toThrow(/UNIQUE/);
    expect(await driver.all('SELECT k FROM t ORDER BY k')).toEqual([{ k: 'b' }, { k: 'c' }]);
    // After lazy ones, a durable transaction is at FULL from its BEGIN (the level cannot change inside).
    await driver.transaction(async (tx) => {
      expect(await synchronous()).toBe(FULL);
      await tx.run('INSERT INTO t (k, v) VALUES (?, ?)', ['e', 5]);
    });
    expect(await synchronous()).toBe(FULL);
  });

  it('runs a lazy statement inside an open transaction at that transaction’s level', async () => {
    await driver.transaction(async (tx) => {
      await tx.run('INSERT INTO t (k, v) VALUES (?, ?)', ['e', 6]);
      // SQLite refuses to change the level inside a transaction; the lazy view must not try.
      await driver.lazy.run('INSERT INTO t (k, v) VALUES (?, ?)', ['f', 7]);
    });
    expect(await synchronous()).toBe(FULL);
    expect(await driver.all('SELECT k FROM t ORDER BY k')).toEqual([{ k: 'e' }, { k: 'f' }]);
  });

  it('answers right after its statement cache has turned over', async () => {
    for (let i = 0; i < 250; i++) await driver.run(`INSERT INTO t (k, v) VALUES ('k${i}', ${i})`);
    expect(await driver.all('SELECT COUNT(*) AS n FROM t')).toEqual([{ n: 250 }]);
    expect(await driver.all("SELECT v FROM t WHERE k = 'k3'")).toEqual([{ v: 3 }]);
  });
});

describe('flushing the WAL', () => {
  it('syncs a file database (every commit so far, lazy ones too) and is a no-op in memory', async () => {
    await driver.lazy.run('INSERT INTO t (k, v) VALUES (?, ?)', ['w', 1]);
    await expect(driver.flush()).resolves.toBeUndefined();
    await expect(driver.flush()).resolves.toBeUndefined(); // the handle is kept and reused
    const memory = new SqliteDriver(':memory:');
    await expect(memory.flush()).resolves.toBeUndefined();
    await memory.close();
  });
});

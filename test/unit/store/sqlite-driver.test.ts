/**
 * The SQLite driver's lazy view (commits that need not wait for the disk) on a real database file:
 * what goes through it is committed and readable, and every other commit keeps
 * synchronous=FULL (the outbox row behind a webhook's 200 must survive a power cut).
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
  it('commits a lazy statement with synchronous=NORMAL and is back at FULL after it', async () => {
    // A prepared `PRAGMA synchronous = …` takes effect when prepared, not when run: this failed
    // while the driver kept the two levels as prepared statements (the last prepared won).
    expect(await synchronous()).toBe(FULL);
    await driver.lazy.run('INSERT INTO t (k, v) VALUES (?, ?)', ['a', 1]);
    // Read the level from inside a lazy statement's window: a lazy SELECT of the pragma.
    const during = Number((await driver.lazy.all('PRAGMA synchronous'))[0]?.synchronous);
    expect(during).toBe(NORMAL);
    expect(await synchronous()).toBe(FULL);
    expect(await driver.all('SELECT v FROM t WHERE k = ?', ['a'])).toEqual([{ v: 1 }]);
  });

  it('commits a lazy transaction whole, and a failed one not at all, back at FULL either way', async () => {
    await driver.lazy.transaction(async (tx) => {
      await tx.run('INSERT INTO t (k, v) VALUES (?, ?)', ['b', 2]);
      await tx.run('INSERT INTO t (k, v) VALUES (?, ?)', ['c', 3]);
    });
    expect(await synchronous()).toBe(FULL);
    await expect(
      driver.lazy.transaction(async (tx) => {
        await tx.run('INSERT INTO t (k, v) VALUES (?, ?)', ['d', 4]);
        await tx.run('INSERT INTO t (k, v) VALUES (?, ?)', ['b', 5]); // primary key taken
      }),
    ).rejects.toThrow(/UNIQUE/);
    expect(await synchronous()).toBe(FULL);
    expect(await driver.all('SELECT k FROM t ORDER BY k')).toEqual([{ k: 'b' }, { k: 'c' }]);
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

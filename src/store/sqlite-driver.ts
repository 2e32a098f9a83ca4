/** SQLite through better-sqlite3: one file, WAL, synchronous calls behind the async port. */
import { type FileHandle, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Param, Row, SqlDriver } from './sql-driver.js';

/** Prepared statements kept per SQL text: preparing is most of a small statement's cost. */
const STATEMENT_CACHE = 200;

export class SqliteDriver implements SqlDriver {
  readonly dialect = 'sqlite' as const;
  readonly lazy: SqlDriver;
  private readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();
  /** Serialises transactions: better-sqlite3 has one connection and async work spans awaits. */
  private queue: Promise<unknown> = Promise.resolve();
  /** The WAL file, opened on the first flush; undefined for an in-memory database. */
  private wal: Promise<FileHandle> | undefined;
  /**
   * The connection's synchronous level now. Switched only when a statement needs the other one:
   * on the alert path (lazy writes and reads) it stays NORMAL instead of two PRAGMAs per write.
   */
  private level: 'FULL' | 'NORMAL' = 'FULL';

  constructor(private readonly path: string) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    // FULL: an alert acknowledged to Alertmanager must survive a power cut, not just a crash.
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 5000');
    this.db.pragma('foreign_keys = ON');
    // SQLite's own default page cache (2 MiB) instead of the 16 MiB better-sqlite3 builds in: an
    // alert storm filled all of it (heaptrack: 17 MiB of the bot's malloc at the storm's peak)
    // for pages the OS page cache holds anyway. The hot pages (the outbox's newest rows) fit.
    this.db.pragma('cache_size = -2000');
    this.lazy = new LazySqlite(this);
  }

  async run(sql: string, params: Param[] = []): Promise<number> {
    return this.durably(this.statement(sql)).run(...params).changes;
  }

  async all(sql: string, params: Param[] = []): Promise<Row[]> {
    return this.durably(this.statement(sql)).all(...params) as Row[];
  }

  /**
   * A statement that writes commits with synchronous=FULL (fsynced before it returns). A read
   * commits nothing, so it runs at whatever level the connection is at; inside a transaction
   * the level was set before BEGIN (and may not change).
   */
  private durably(statement: Database.Statement): Database.Statement {
    if (!statement.readonly && !this.db.inTransaction) this.setSynchronous('FULL');
    return statement;
  }

  transaction<T>(work: (tx: SqlDriver) => Promise<T>): Promise<T> {
    return this.transact(work, false);
  }

  /**
   * Runs one statement with synchronous=NORMAL, outside any transaction of ours: in WAL mode
   * its commit is written to the WAL (the OS has it, so a killed process loses nothing) but not
   * fsynced; the next FULL commit's fsync (or flush) carries it to the disk too. The level is
   * left at NORMAL: the next statement that needs FULL sets it again (see durably). Inside an
   * open transaction the safety level may not change, and needs not: that transaction's commit
   * decides.
   */
  runLazily<T>(statement: () => T): T {
    if (!this.db.inTransaction) this.setSynchronous('NORMAL');
    return statement();
  }

  transact<T>(work: (tx: SqlDriver) => Promise<T>, lazy: boolean): Promise<T> {
    const next = this.queue.then(async () => {
      // Set before BEGIN: the commit's level is the one in force when the transaction began.
      this.setSynchronous(lazy ? 'NORMAL' : 'FULL');
      this.db.exec('BEGIN IMMEDIATE');
      try {
        const result = await work(this);
        this.db.exec('COMMIT');
        return result;
      } catch (error) {
        this.db.exec('ROLLBACK');
        throw error;
      }
    });
    this.queue = next.catch(() => undefined);
    return next;
  }

  /**
   * Not a cached statement: SQLite runs this pragma when it is prepared, so a prepared one would
   * set its level once, at prepare time, and never again.
   */
  private setSynchronous(level: 'FULL' | 'NORMAL'): void {
    if (this.level === level) return;
    this.db.exec(`PRAGMA synchronous = ${level}`);
    this.level = level;
  }

  statement(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      if (this.statements.size >= STATEMENT_CACHE) {
        const oldest = this.statements.keys().next().value as string;
        this.statements.delete(oldest);
      }
      this.statements.set(sql, statement);
    }
    return statement;
  }

  /**
   * fsync(2) of the WAL file through a handle of our own: it flushes the file, whichever
   * descriptor wrote it, so every frame SQLite has written (every commit so far) reaches the
   * disk, as synchronous=FULL would have done inside the commit, but on a thread-pool thread.
   * A checkpoint that restarts the WAL has synced both files first, so nothing is lost then.
   */
  async flush(): Promise<void> {
    if (this.path === ':memory:' || this.path === '') return;
    this.wal ??= (async () => {
      const handle = await open(`${this.path}-wal`, 'r');
      // The WAL's directory entry, once: the file must be found again after a power cut.
      const directory = await open(dirname(this.path), 'r');
      try {
        await directory.sync();
      } finally {
        await directory.close();
      }
      return handle;
    })();
    try {
      await (await this.wal).sync();
    } catch (error) {
      this.wal = undefined; // opened again next time
      throw error;
    }
  }

  async close(): Promise<void> {
    await this.queue;
    const wal = this.wal;
    this.wal = undefined;
    await wal?.then((handle) => handle.close()).catch(() => undefined);
    this.db.close();
  }
}

/** The lazy view of a SqliteDriver (see SqlDriver.lazy). */
class LazySqlite implements SqlDriver {
  readonly dialect = 'sqlite' as const;
  constructor(private readonly driver: SqliteDriver) {}

  get lazy(): SqlDriver {
    return this;
  }

  async run(sql: string, params: Param[] = []): Promise<number> {
    const statement = this.driver.statement(sql);
    return this.driver.runLazily(() => statement.run(...params).changes);
  }

  async all(sql: string, params: Param[] = []): Promise<Row[]> {
    const statement = this.driver.statement(sql);
    return this.driver.runLazily(() => statement.all(...params) as Row[]);
  }

  transaction<T>(work: (tx: SqlDriver) => Promise<T>): Promise<T> {
    return this.driver.transact(work, true);
  }

  flush(): Promise<void> {
    return this.driver.flush();
  }

  close(): Promise<void> {
    return this.driver.close();
  }
}

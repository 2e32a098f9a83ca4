/** SQLite through better-sqlite3: one file, WAL, synchronous calls behind the async port. */
import Database from 'better-sqlite3';
import type { Param, Row, SqlDriver } from './sql-driver.js';

export class SqliteDriver implements SqlDriver {
  readonly dialect = 'sqlite' as const;
  private readonly db: Database.Database;
  /** Serialises transactions: better-sqlite3 has one connection and async work spans awaits. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    // FULL: an alert acknowledged to Alertmanager must survive a power cut, not just a crash.
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 5000');
    this.db.pragma('foreign_keys = ON');
  }

  async run(sql: string, params: Param[] = []): Promise<number> {
    return this.db.prepare(sql).run(...params).changes;
  }

  async all(sql: string, params: Param[] = []): Promise<Row[]> {
    return this.db.prepare(sql).all(...params) as Row[];
  }

  transaction<T>(work: (tx: SqlDriver) => Promise<T>): Promise<T> {
    const next = this.queue.then(async () => {
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

  async close(): Promise<void> {
    await this.queue;
    this.db.close();
  }
}

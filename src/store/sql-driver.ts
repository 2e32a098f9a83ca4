/**
 * The little that differs between SQLite and PostgreSQL, behind one interface: placeholders
 * are written `?` everywhere and the PostgreSQL driver numbers them; the few DDL words that
 * differ are spelled by `dialect`.
 */
export type Row = Record<string, unknown>;
export type Param = string | number | null;

export interface SqlDriver {
  readonly dialect: 'sqlite' | 'postgres';
  /** Runs a statement; returns the number of rows it changed. */
  run(sql: string, params?: Param[]): Promise<number>;
  all(sql: string, params?: Param[]): Promise<Row[]>;
  /** Runs `work` in one transaction on one connection. */
  transaction<T>(work: (tx: SqlDriver) => Promise<T>): Promise<T>;
  /**
   * The same database, for state that a later pass can rebuild (alert delivery's claims, post
   * mappings, group state): its commits survive the process dying (kill -9) but need not wait
   * for the disk, so a power cut may lose the last few of them. What the bot has promised to
   * keep (an outbox row before the webhook's 200, the audit) never goes through here.
   */
  readonly lazy: SqlDriver;
  /**
   * Resolves once every commit made so far, lazy ones included, is on disk. SQLite: an fsync of
   * its WAL file in libuv's thread pool, so the event loop goes on meanwhile; PostgreSQL: at
   * once (its COMMIT returned only after the server flushed it).
   */
  flush(): Promise<void>;
  close(): Promise<void>;
}

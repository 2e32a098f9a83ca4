/** PostgreSQL through pg: a pool for several replicas sharing one database. */
import pg from 'pg';
import type { Param, Row, SqlDriver } from './sql-driver.js';

// BIGINT columns hold epoch milliseconds, well inside the safe integer range.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

/** `a = ? AND b = ?` → `a = $1 AND b = $2`. Our SQL has no `?` inside string literals. */
function numberPlaceholders(sql: string): string {
  let index = 0;
  return sql.replace(/\?/g, () => `$${++index}`);
}

export interface PostgresDriverOptions {
  /**
   * Told about a connection the server dropped while it was idle (a PostgreSQL restart or
   * failover, a proxy's idle timeout). pg reports those as an `error` event, which crashes the
   * process when nobody listens; the pool discards that connection and opens a new one on the
   * next query, so this is for a log line and a metric.
   */
  onConnectionError?: (error: Error) => void;
  /** Bounds the wait for a free connection (and for connecting); 5 s unless set. */
  connectionTimeoutMs?: number;
}

class PgQueryable implements SqlDriver {
  readonly dialect = 'postgres' as const;
  constructor(protected readonly client: pg.Pool | pg.PoolClient) {}

  /**
   * The same: a statement's cost here is its round trip more than the server's WAL flush, and
   * `synchronous_commit = off` per statement would take a transaction of its own to set.
   */
  get lazy(): SqlDriver {
    return this;
  }

  async flush(): Promise<void> {}

  async run(sql: string, params: Param[] = []): Promise<number> {
    const result = await this.client.query(numberPlaceholders(sql), params);
    return result.rowCount ?? 0;
  }

  async all(sql: string, params: Param[] = []): Promise<Row[]> {
    const result = await this.client.query(numberPlaceholders(sql), params);
    return result.rows as Row[];
  }

  transaction<T>(work: (tx: SqlDriver) => Promise<T>): Promise<T> {
    // Nested use runs inside the outer transaction.
    return work(this);
  }

  async close(): Promise<void> {}
}

export class PostgresDriver extends PgQueryable {
  private readonly pool: pg.Pool;
  private readonly onConnectionError: (error: Error) => void;

  constructor(connectionString: string, options: PostgresDriverOptions = {}) {
    const pool = new pg.Pool({
      connectionString,
      max: 5,
      connectionTimeoutMillis: options.connectionTimeoutMs ?? 5000,
      // A half-open connection (the server's host gone) is noticed by TCP keepalive, not by a
      // query that waits forever.
      keepAlive: true,
    });
    super(pool);
    this.pool = pool;
    this.onConnectionError = options.onConnectionError ?? (() => undefined);
    pool.on('error', (error) => this.onConnectionError(error));
  }

  override async transaction<T>(work: (tx: SqlDriver) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    // The pool listens only to idle clients: a checked-out one whose connection drops between
    // two statements emits `error` too, and must not take the process down with it.
    const onError = (error: Error) => this.onConnectionError(error);
    client.on('error', onError);
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const result = await work(new PgQueryable(client));
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch((rollbackError: unknown) => {
        // The connection is gone: give it back as broken so the pool does not reuse it.
        broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
      });
      throw error;
    } finally {
      client.off('error', onError);
      client.release(broken);
    }
  }

  override async close(): Promise<void> {
    await this.pool.end();
  }
}

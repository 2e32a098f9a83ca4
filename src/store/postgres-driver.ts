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
   * Told once about each connection the server dropped (a PostgreSQL restart or failover, a
   * proxy's idle timeout, pg_terminate_backend), whether it sat idle in the pool or carried a
   * query. The pool discards that connection and opens a new one on the next query, so this is
   * for a log line and a metric; a query it carried fails to its caller as well.
   */
  onConnectionError?: (error: Error) => void;
  /** Bounds the wait for a free connection (and for connecting); 5 s unless set. */
  connectionTimeoutMs?: number;
}

/**
 * A query error that means the connection itself is gone: SQLSTATE class 08 (connection
 * exception) or 57P (the server shutting down or ending this backend). pg delivers those as the
 * failed query's error, not as an `error` event, when they arrive while a query runs.
 */
function lostConnection(error: Error): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && (code.startsWith('08') || code.startsWith('57P'));
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
    const report = options.onConnectionError ?? (() => undefined);
    // A dropped connection can be told more than once (a FATAL message, then the socket's end;
    // the `error` event, then the release of the query it failed): it is counted once.
    const reported = new WeakSet<pg.PoolClient>();
    const dropped = (client: pg.PoolClient, error: Error) => {
      if (reported.has(client)) return;
      reported.add(client);
      report(error);
    };
    // pg tells a dropped connection as an `error` event on its client, which ends the process
    // when nobody listens. The pool listens only while a client is idle, and pool.query only
    // while its query runs; this listener stays for the client's whole life, checked out
    // inside a transaction too.
    pool.on('connect', (client) => client.on('error', (error) => dropped(client, error)));
    pool.on('release', (error, client) => {
      if (error && lostConnection(error)) dropped(client, error);
    });
    // The pool re-emits an idle client's error, already told by the listener above; an `error`
    // event with no listener would end the process.
    pool.on('error', () => undefined);
  }

  override async transaction<T>(work: (tx: SqlDriver) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
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
      client.release(broken);
    }
  }

  override async close(): Promise<void> {
    await this.pool.end();
  }
}

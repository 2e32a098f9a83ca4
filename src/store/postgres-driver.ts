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

class PgQueryable implements SqlDriver {
  readonly dialect = 'postgres' as const;
  constructor(protected readonly client: pg.Pool | pg.PoolClient) {}

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

  constructor(connectionString: string) {
    const pool = new pg.Pool({ connectionString, max: 5, connectionTimeoutMillis: 5000 });
    super(pool);
    this.pool = pool;
  }

  override async transaction<T>(work: (tx: SqlDriver) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await work(new PgQueryable(client));
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  override async close(): Promise<void> {
    await this.pool.end();
  }
}

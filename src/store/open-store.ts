/** Opens the Store the configuration names and brings its schema up to date. */
import type { StoreConfig } from './config-schema.js';
import { PostgresDriver } from './postgres-driver.js';
import { SqlStore } from './sql-store.js';
import { SqliteDriver } from './sqlite-driver.js';
import type { Store } from './store.js';

export interface OpenStoreOptions {
  /** A PostgreSQL connection dropped while idle (see PostgresDriver); never thrown. */
  onConnectionError?: (error: Error) => void;
}

export async function openStore(config: StoreConfig, options: OpenStoreOptions = {}): Promise<Store> {
  const driver =
    config.driver === 'postgres' && config.postgres
      ? new PostgresDriver(
          config.postgres.url,
          options.onConnectionError ? { onConnectionError: options.onConnectionError } : {},
        )
      : new SqliteDriver(config.sqlite.path);
  const store = new SqlStore(driver);
  try {
    await store.migrate();
  } catch (error) {
    await store.close().catch(() => undefined);
    throw error;
  }
  return store;
}

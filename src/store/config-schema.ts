/**
 * Config keys of the store, owned here: SQLite (one replica) or PostgreSQL (several).
 * src/config/schema.ts composes this.
 */
import { z } from 'zod';

const nonEmpty = () => z.string().min(1, { error: 'must not be empty' });

export const storeSchema = z
  .strictObject({
    driver: z.enum(['sqlite', 'postgres']).default('sqlite'),
    sqlite: z.strictObject({ path: nonEmpty().default('./coxswain.db') }).prefault({}),
    postgres: z.strictObject({ url: nonEmpty() }).optional(),
  })
  .prefault({})
  .refine((store) => store.driver !== 'postgres' || store.postgres !== undefined, {
    error: 'driver is postgres but store.postgres.url is not set',
  });

export type StoreConfig = z.infer<typeof storeSchema>;

/** Reading a column the same way from SQLite and PostgreSQL rows. */
export const str = (value: unknown): string => String(value);
export const num = (value: unknown): number => Number(value);
export const opt = <T>(value: unknown, map: (v: unknown) => T): T | undefined =>
  value === null || value === undefined ? undefined : map(value);
export const json = (value: unknown): Record<string, unknown> =>
  JSON.parse(String(value)) as Record<string, unknown>;

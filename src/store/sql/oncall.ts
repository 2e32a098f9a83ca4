/** On-call overrides and swaps. */
import type { Param, Row, SqlDriver } from '../sql-driver.js';
import type { OncallOverride, Store } from '../store.js';
import { num, opt, str } from './columns.js';

export class OncallSql
  implements Pick<Store, 'addOncallOverrides' | 'listOncallOverrides' | 'cancelOncallOverride'>
{
  constructor(private readonly db: SqlDriver) {}

  async addOncallOverrides(overrides: Omit<OncallOverride, 'id'>[]): Promise<OncallOverride[]> {
    return this.db.transaction(async (tx) => {
      const stored: OncallOverride[] = [];
      for (const o of overrides) {
        const [row] = await tx.all(
          `INSERT INTO oncall_overrides (team, person, starts_at, ends_at, kind, swap_id, note, created_by, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
          [
            o.team,
            o.person,
            o.startsAt,
            o.endsAt,
            o.kind,
            o.swapId ?? null,
            o.note,
            o.createdBy,
            o.createdAt,
          ],
        );
        stored.push({ ...o, id: num(row?.id) });
      }
      return stored;
    });
  }

  async listOncallOverrides(query: { endsAfter: number; team?: string }): Promise<OncallOverride[]> {
    const params: Param[] = [query.endsAfter];
    let where = 'ends_at > ?';
    if (query.team !== undefined) {
      where += ' AND team = ?';
      params.push(query.team);
    }
    const rows = await this.db.all(
      `SELECT * FROM oncall_overrides WHERE ${where} ORDER BY starts_at, id`,
      params,
    );
    return rows.map(oncallOverrideOf);
  }

  async cancelOncallOverride(id: number): Promise<OncallOverride[]> {
    return this.db.transaction(async (tx) => {
      const [row] = await tx.all('SELECT * FROM oncall_overrides WHERE id = ?', [id]);
      if (!row) return [];
      const rows =
        row.swap_id === null || row.swap_id === undefined
          ? [row]
          : await tx.all('SELECT * FROM oncall_overrides WHERE swap_id = ? ORDER BY starts_at, id', [
              str(row.swap_id),
            ]);
      for (const r of rows) await tx.run('DELETE FROM oncall_overrides WHERE id = ?', [num(r.id)]);
      return rows.map(oncallOverrideOf);
    });
  }
}

function oncallOverrideOf(row: Row): OncallOverride {
  const override: OncallOverride = {
    id: num(row.id),
    team: str(row.team),
    person: str(row.person),
    startsAt: num(row.starts_at),
    endsAt: num(row.ends_at),
    kind: str(row.kind) === 'swap' ? 'swap' : 'override',
    note: str(row.note),
    createdBy: str(row.created_by),
    createdAt: num(row.created_at),
  };
  const swapId = opt(row.swap_id, str);
  if (swapId !== undefined) override.swapId = swapId;
  return override;
}

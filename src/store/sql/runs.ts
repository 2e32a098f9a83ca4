/** Phase and drill runs, stored so a restart or another replica can take them over. */
import type { Param, Row, SqlDriver } from '../sql-driver.js';
import type { Run, RunKind, Store } from '../store.js';
import { json, num, opt, str } from './columns.js';

export class RunSql implements Pick<Store, 'saveRun' | 'getRun' | 'listRuns'> {
  constructor(private readonly db: SqlDriver) {}

  async saveRun(run: Run): Promise<void> {
    await this.db.run(
      `INSERT INTO runs (id, kind, name, cluster, state, started_by, started_at, updated_at, finished_at, data)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at,
         finished_at = excluded.finished_at, data = excluded.data`,
      [
        run.id,
        run.kind,
        run.name,
        run.cluster ?? null,
        run.state,
        run.startedBy,
        run.startedAt,
        run.updatedAt,
        run.finishedAt ?? null,
        JSON.stringify(run.data),
      ],
    );
  }

  async getRun(id: string): Promise<Run | undefined> {
    const [row] = await this.db.all('SELECT * FROM runs WHERE id = ?', [id]);
    return row ? rowToRun(row) : undefined;
  }

  async listRuns(query: { kind?: RunKind; unfinished?: boolean }): Promise<Run[]> {
    const where: string[] = [];
    const params: Param[] = [];
    if (query.kind) {
      where.push('kind = ?');
      params.push(query.kind);
    }
    if (query.unfinished) where.push('finished_at IS NULL');
    const rows = await this.db.all(
      `SELECT * FROM runs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY started_at DESC`,
      params,
    );
    return rows.map(rowToRun);
  }
}

function rowToRun(row: Row): Run {
  const run: Run = {
    id: str(row.id),
    kind: str(row.kind) as RunKind,
    name: str(row.name),
    state: str(row.state),
    startedBy: str(row.started_by),
    startedAt: num(row.started_at),
    updatedAt: num(row.updated_at),
    data: json(row.data),
  };
  const cluster = opt(row.cluster, str);
  const finishedAt = opt(row.finished_at, num);
  if (cluster !== undefined) run.cluster = cluster;
  if (finishedAt !== undefined) run.finishedAt = finishedAt;
  return run;
}

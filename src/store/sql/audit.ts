/** The audit log and the confirmations of dangerous commands. */
import type { Param, SqlDriver } from '../sql-driver.js';
import type { AuditEntry, AuditQuery, Confirmation, ConfirmationState, Store } from '../store.js';
import { json, num, opt, str } from './columns.js';

export class AuditSql
  implements
    Pick<Store, 'appendAudit' | 'listAudit' | 'createConfirmation' | 'getConfirmation' | 'decideConfirmation'>
{
  constructor(private readonly db: SqlDriver) {}

  async appendAudit(entry: AuditEntry): Promise<void> {
    await this.db.run(
      `INSERT INTO audit_log (at, request_id, platform, user_id, username, channel_id, channel_name, command, args, outcome, detail, duration_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        entry.at,
        entry.requestId,
        entry.platform,
        entry.userId,
        entry.username,
        entry.channelId,
        entry.channelName,
        entry.command,
        JSON.stringify(entry.args),
        entry.outcome,
        entry.detail,
        Math.round(entry.durationMs),
      ],
    );
  }

  async listAudit(query: AuditQuery): Promise<AuditEntry[]> {
    const where: string[] = [];
    const params: Param[] = [];
    if (query.username !== undefined) {
      where.push('username = ?');
      params.push(query.username);
    }
    if (query.since !== undefined) {
      where.push('at >= ?');
      params.push(query.since);
    }
    params.push(query.limit ?? 50);
    const rows = await this.db.all(
      `SELECT * FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY at DESC, id DESC LIMIT ?`,
      params,
    );
    return rows.map(
      (row): AuditEntry => ({
        at: num(row.at),
        requestId: str(row.request_id),
        platform: str(row.platform),
        userId: str(row.user_id),
        username: str(row.username),
        channelId: str(row.channel_id),
        channelName: str(row.channel_name),
        command: str(row.command),
        args: json(row.args),
        outcome: str(row.outcome) as AuditEntry['outcome'],
        detail: str(row.detail),
        durationMs: num(row.duration_ms),
      }),
    );
  }

  async createConfirmation(c: Confirmation): Promise<void> {
    await this.db.run(
      `INSERT INTO confirmations (id, kind, platform, user_id, username, user_groups, channel_id, channel_name, text, state, created_at, expires_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        c.id,
        c.kind,
        c.platform,
        c.userId,
        c.username,
        JSON.stringify(c.userGroups),
        c.channelId,
        c.channelName,
        c.text,
        c.state,
        c.createdAt,
        c.expiresAt,
      ],
    );
  }

  async getConfirmation(id: string): Promise<Confirmation | undefined> {
    const [row] = await this.db.all('SELECT * FROM confirmations WHERE id = ?', [id]);
    if (!row) return undefined;
    const confirmation: Confirmation = {
      id: str(row.id),
      kind: str(row.kind) as Confirmation['kind'],
      platform: str(row.platform),
      userId: str(row.user_id),
      username: str(row.username),
      userGroups: JSON.parse(str(row.user_groups)) as string[],
      channelId: str(row.channel_id),
      channelName: str(row.channel_name),
      text: str(row.text),
      state: str(row.state) as ConfirmationState,
      createdAt: num(row.created_at),
      expiresAt: num(row.expires_at),
    };
    const decidedBy = opt(row.decided_by, str);
    const decidedAt = opt(row.decided_at, num);
    if (decidedBy !== undefined) confirmation.decidedBy = decidedBy;
    if (decidedAt !== undefined) confirmation.decidedAt = decidedAt;
    return confirmation;
  }

  async decideConfirmation(
    id: string,
    to: Exclude<ConfirmationState, 'pending'>,
    decidedBy: string,
    now: number,
  ): Promise<boolean> {
    const changed = await this.db.run(
      `UPDATE confirmations SET state = ?, decided_by = ?, decided_at = ?
       WHERE id = ? AND state = 'pending' AND expires_at > ?`,
      [to, decidedBy, now, id, now],
    );
    return changed === 1;
  }
}

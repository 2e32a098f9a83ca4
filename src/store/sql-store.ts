/** The Store, written once in portable SQL over a SqlDriver. */
import { MIGRATIONS, renderMigration } from './migrations.js';
import type { Param, Row, SqlDriver } from './sql-driver.js';
import type {
  AlertGroupRecord,
  AlertPost,
  AuditEntry,
  AuditQuery,
  Confirmation,
  ConfirmationState,
  GroupClaim,
  Incident,
  IncidentAlert,
  IncidentState,
  OncallOverride,
  OutboxItem,
  OutboxState,
  Run,
  RunKind,
  Store,
  TimelineEntry,
} from './store.js';

/** Any number that fits the lock space; the same on every replica. */
const MIGRATION_LOCK = 7_402_315;

const str = (value: unknown): string => String(value);
const num = (value: unknown): number => Number(value);
const opt = <T>(value: unknown, map: (v: unknown) => T): T | undefined =>
  value === null || value === undefined ? undefined : map(value);
const json = (value: unknown): Record<string, unknown> =>
  JSON.parse(String(value)) as Record<string, unknown>;

export class SqlStore implements Store {
  constructor(private readonly db: SqlDriver) {}

  get driver(): 'sqlite' | 'postgres' {
    return this.db.dialect;
  }

  async migrate(): Promise<number> {
    return this.db.transaction(async (tx) => {
      if (tx.dialect === 'postgres') await tx.all('SELECT pg_advisory_xact_lock(?)', [MIGRATION_LOCK]);
      await tx.run(
        'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)',
      );
      const applied = new Set(
        (await tx.all('SELECT version FROM schema_migrations')).map((row) => num(row.version)),
      );
      let count = 0;
      for (const migration of MIGRATIONS) {
        if (applied.has(migration.version)) continue;
        for (const statement of renderMigration(migration.sql, tx.dialect)) await tx.run(statement);
        await tx.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [
          migration.version,
          migration.name,
          Date.now(),
        ]);
        count++;
      }
      return count;
    });
  }

  async ping(): Promise<boolean> {
    try {
      await this.db.all('SELECT 1 AS ok');
      return true;
    } catch {
      return false;
    }
  }

  close(): Promise<void> {
    return this.db.close();
  }

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

  async enqueueOutbox(item: Omit<OutboxItem, 'id' | 'state' | 'attempts'>): Promise<boolean> {
    const changed = await this.db.run(
      `INSERT INTO alert_outbox (dedupe_key, group_key, payload, state, attempts, next_attempt_at, received_at)
       VALUES (?, ?, ?, 'pending', 0, ?, ?) ON CONFLICT (dedupe_key) DO NOTHING`,
      [item.dedupeKey, item.groupKey, JSON.stringify(item.payload), item.nextAttemptAt, item.receivedAt],
    );
    return changed === 1;
  }

  async enqueueOutboxBatch(
    items: Omit<OutboxItem, 'id' | 'state' | 'attempts'>[],
    onWritten?: () => void,
  ): Promise<boolean[]> {
    if (items.length === 0) return [];
    // Committed without waiting for the disk, then flushed (off the event loop on SQLite):
    // delivery, told in between, reads the rows while the disk catches up; the caller's promise
    // (the webhook's 200) waits for the flush.
    const added = await this.db.lazy.transaction(async (tx) => {
      const added: boolean[] = [];
      for (const item of items) {
        const changed = await tx.run(
          `INSERT INTO alert_outbox (dedupe_key, group_key, payload, state, attempts, next_attempt_at, received_at)
           VALUES (?, ?, ?, 'pending', 0, ?, ?) ON CONFLICT (dedupe_key) DO NOTHING`,
          [item.dedupeKey, item.groupKey, JSON.stringify(item.payload), item.nextAttemptAt, item.receivedAt],
        );
        added.push(changed === 1);
      }
      return added;
    });
    if (added.includes(true)) onWritten?.();
    await this.db.flush();
    return added;
  }

  async markOutboxDeliveredMany(ids: number[]): Promise<void> {
    if (ids.length === 0) return;
    await this.db.lazy.transaction(async (tx) => {
      for (const id of ids) {
        await tx.run(`UPDATE alert_outbox SET state = 'delivered', attempts = attempts + 1 WHERE id = ?`, [
          id,
        ]);
      }
    });
  }

  async dueOutbox(now: number, limit: number): Promise<OutboxItem[]> {
    const rows = await this.db.all(
      `SELECT * FROM alert_outbox WHERE state = 'pending' AND next_attempt_at <= ? ORDER BY id LIMIT ?`,
      [now, limit],
    );
    return rows.map(rowToOutbox);
  }

  async markOutboxDelivered(id: number): Promise<void> {
    await this.db.lazy.run(
      `UPDATE alert_outbox SET state = 'delivered', attempts = attempts + 1 WHERE id = ?`,
      [id],
    );
  }

  async markOutboxRetry(id: number, nextAttemptAt: number, error: string, giveUp: boolean): Promise<void> {
    await this.db.lazy.run(
      'UPDATE alert_outbox SET state = ?, attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE id = ?',
      [giveUp ? 'failed' : 'pending', nextAttemptAt, error, id],
    );
  }

  async countOutbox(): Promise<Record<OutboxState, number>> {
    const counts: Record<OutboxState, number> = { pending: 0, delivered: 0, failed: 0 };
    for (const row of await this.db.all('SELECT state, COUNT(*) AS n FROM alert_outbox GROUP BY state')) {
      counts[str(row.state) as OutboxState] = num(row.n);
    }
    return counts;
  }

  async claimAlertGroup(
    groupKey: string,
    owner: string,
    now: number,
    leaseMs: number,
  ): Promise<GroupClaim | false> {
    // One statement, so two replicas cannot both win: the row is taken when it is absent,
    // expired, or already this owner's. RETURNING the old row's owner is not portable, so the
    // previous holder is read first; a race between the two only makes `recovered` cautious.
    const [before] = await this.db.all('SELECT owner, until FROM alert_claims WHERE group_key = ?', [
      groupKey,
    ]);
    const changed = await this.db.lazy.run(
      `INSERT INTO alert_claims (group_key, owner, until) VALUES (?, ?, ?)
       ON CONFLICT (group_key) DO UPDATE SET owner = excluded.owner, until = excluded.until
       WHERE alert_claims.until <= ? OR alert_claims.owner = excluded.owner`,
      [groupKey, owner, now + leaseMs, now],
    );
    if (changed !== 1) return false;
    return before ? 'recovered' : 'fresh';
  }

  /** Renews a claim this owner holds; false when it expired and someone else took it. */
  async renewAlertGroup(groupKey: string, owner: string, now: number, leaseMs: number): Promise<boolean> {
    const changed = await this.db.lazy.run(
      'UPDATE alert_claims SET until = ? WHERE group_key = ? AND owner = ?',
      [now + leaseMs, groupKey, owner],
    );
    return changed === 1;
  }

  async releaseAlertGroup(groupKey: string, owner: string, unsettled = false): Promise<void> {
    if (unsettled)
      await this.db.lazy.run('UPDATE alert_claims SET until = 0 WHERE group_key = ? AND owner = ?', [
        groupKey,
        owner,
      ]);
    else
      await this.db.lazy.run('DELETE FROM alert_claims WHERE group_key = ? AND owner = ?', [groupKey, owner]);
  }

  async pendingOutboxAttempts(ids: number[]): Promise<Map<number, number>> {
    if (ids.length === 0) return new Map();
    const rows = await this.db.all(
      `SELECT id, attempts FROM alert_outbox WHERE id IN (${ids.map(() => '?').join(', ')}) AND state = 'pending'`,
      ids,
    );
    return new Map(rows.map((row) => [num(row.id), num(row.attempts)]));
  }

  async recordAlertPostIntent(intent: Required<Omit<AlertPost, 'postId'>>): Promise<void> {
    await this.db.lazy.run(
      `INSERT INTO alert_posts (group_key, platform, channel_id, post_id, post_key, intent_at)
       VALUES (?, ?, ?, '', ?, ?) ON CONFLICT (group_key, platform, channel_id) DO NOTHING`,
      [intent.groupKey, intent.platform, intent.channelId, intent.postKey, intent.intentAt],
    );
  }

  async saveAlertPost(post: AlertPost): Promise<boolean> {
    // Fills an intent, or inserts; an existing post id is never overwritten (that would orphan
    // the post it names: never updated, never resolved).
    const changed = await this.db.lazy.run(
      `INSERT INTO alert_posts (group_key, platform, channel_id, post_id, post_key, intent_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (group_key, platform, channel_id) DO UPDATE SET post_id = excluded.post_id
       WHERE alert_posts.post_id = ''`,
      [
        post.groupKey,
        post.platform,
        post.channelId,
        post.postId,
        post.postKey ?? null,
        post.intentAt ?? null,
      ],
    );
    return changed === 1;
  }

  async findAlertPosts(groupKey: string): Promise<AlertPost[]> {
    const rows = await this.db.all('SELECT * FROM alert_posts WHERE group_key = ?', [groupKey]);
    return rows.map(rowToAlertPost);
  }

  async findAlertPostById(postId: string): Promise<AlertPost | undefined> {
    if (postId === '') return undefined; // '' marks an intent, not a post
    const [row] = await this.db.all('SELECT * FROM alert_posts WHERE post_id = ? LIMIT 1', [postId]);
    return row ? rowToAlertPost(row) : undefined;
  }

  async getAlertGroup(groupKey: string): Promise<AlertGroupRecord | undefined> {
    const [row] = await this.db.all('SELECT * FROM alert_groups WHERE group_key = ?', [groupKey]);
    if (!row) return undefined;
    const record: AlertGroupRecord = {
      groupKey: str(row.group_key),
      data: JSON.parse(str(row.data)) as Record<string, unknown>,
      updatedAt: num(row.updated_at),
    };
    if (row.stale_since !== null && row.stale_since !== undefined) record.staleSince = num(row.stale_since);
    return record;
  }

  async saveAlertGroup(group: AlertGroupRecord): Promise<void> {
    await this.db.lazy.run(
      `INSERT INTO alert_groups (group_key, data, updated_at, stale_since) VALUES (?, ?, ?, ?)
       ON CONFLICT (group_key) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at,
         stale_since = excluded.stale_since`,
      [group.groupKey, JSON.stringify(group.data), group.updatedAt, group.staleSince ?? null],
    );
  }

  async staleAlertGroups(limit: number): Promise<string[]> {
    const rows = await this.db.all(
      'SELECT group_key FROM alert_groups WHERE stale_since IS NOT NULL ORDER BY stale_since, group_key LIMIT ?',
      [limit],
    );
    return rows.map((row) => str(row.group_key));
  }

  async createIncident(incident: Omit<Incident, 'id'>): Promise<Incident> {
    const [row] = await this.db.all(
      `INSERT INTO incidents (title, severity, cluster, state, platform, channel_id, channel_name, commander, created_by, created_at, resolved_at, summary,
         comms, origin_channel_id, origin_thread_id, summary_post_id, archive_at, archived_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
      [
        incident.title,
        incident.severity,
        incident.cluster ?? null,
        incident.state,
        incident.platform,
        incident.channelId ?? null,
        incident.channelName,
        incident.commander ?? null,
        incident.createdBy,
        incident.createdAt,
        incident.resolvedAt ?? null,
        incident.summary ?? null,
        incident.comms ?? null,
        incident.originChannelId ?? null,
        incident.originThreadId ?? null,
        incident.summaryPostId ?? null,
        incident.archiveAt ?? null,
        incident.archivedAt ?? null,
      ],
    );
    return { ...incident, id: num(row?.id) };
  }

  async updateIncident(id: number, changes: Partial<Omit<Incident, 'id'>>): Promise<void> {
    const columns: Record<string, keyof Omit<Incident, 'id'>> = {
      title: 'title',
      severity: 'severity',
      cluster: 'cluster',
      state: 'state',
      channel_id: 'channelId',
      channel_name: 'channelName',
      commander: 'commander',
      resolved_at: 'resolvedAt',
      summary: 'summary',
      comms: 'comms',
      origin_channel_id: 'originChannelId',
      origin_thread_id: 'originThreadId',
      summary_post_id: 'summaryPostId',
      archive_at: 'archiveAt',
      archived_at: 'archivedAt',
    };
    const sets: string[] = [];
    const params: Param[] = [];
    for (const [column, key] of Object.entries(columns)) {
      if (!(key in changes)) continue;
      sets.push(`${column} = ?`);
      params.push((changes[key] as Param | undefined) ?? null);
    }
    if (sets.length === 0) return;
    await this.db.run(`UPDATE incidents SET ${sets.join(', ')} WHERE id = ?`, [...params, id]);
  }

  async getIncident(id: number): Promise<Incident | undefined> {
    const [row] = await this.db.all('SELECT * FROM incidents WHERE id = ?', [id]);
    return row ? rowToIncident(row) : undefined;
  }

  async listIncidents(query: { state?: IncidentState }): Promise<Incident[]> {
    const rows =
      query.state === undefined
        ? await this.db.all('SELECT * FROM incidents ORDER BY created_at DESC, id DESC')
        : await this.db.all('SELECT * FROM incidents WHERE state = ? ORDER BY created_at DESC, id DESC', [
            query.state,
          ]);
    return rows.map(rowToIncident);
  }

  async addTimeline(entry: TimelineEntry): Promise<void> {
    await this.db.run(
      'INSERT INTO incident_timeline (incident_id, at, author, kind, text) VALUES (?, ?, ?, ?, ?)',
      [entry.incidentId, entry.at, entry.author, entry.kind, entry.text],
    );
  }

  async listTimeline(incidentId: number): Promise<TimelineEntry[]> {
    const rows = await this.db.all('SELECT * FROM incident_timeline WHERE incident_id = ? ORDER BY at, id', [
      incidentId,
    ]);
    return rows.map((row) => ({
      incidentId: num(row.incident_id),
      at: num(row.at),
      author: str(row.author),
      kind: str(row.kind),
      text: str(row.text),
    }));
  }

  async findIncidentByChannel(platform: string, channelId: string): Promise<Incident | undefined> {
    const [row] = await this.db.all(
      'SELECT * FROM incidents WHERE platform = ? AND channel_id = ? ORDER BY id DESC LIMIT 1',
      [platform, channelId],
    );
    return row ? rowToIncident(row) : undefined;
  }

  async linkIncidentAlert(link: IncidentAlert): Promise<boolean> {
    const changed = await this.db.run(
      `INSERT INTO incident_alerts (incident_id, fingerprint, alertname, cluster, state, linked_by, linked_at)
       VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (incident_id, fingerprint) DO NOTHING`,
      [
        link.incidentId,
        link.fingerprint,
        link.alertname,
        link.cluster ?? null,
        link.state,
        link.linkedBy,
        link.linkedAt,
      ],
    );
    return changed > 0;
  }

  async listIncidentAlerts(incidentId: number): Promise<IncidentAlert[]> {
    const rows = await this.db.all(
      'SELECT * FROM incident_alerts WHERE incident_id = ? ORDER BY linked_at, fingerprint',
      [incidentId],
    );
    return rows.map(rowToIncidentAlert);
  }

  async findAlertIncidents(fingerprint: string): Promise<IncidentAlert[]> {
    const rows = await this.db.all(
      'SELECT * FROM incident_alerts WHERE fingerprint = ? ORDER BY incident_id',
      [fingerprint],
    );
    return rows.map(rowToIncidentAlert);
  }

  async setIncidentAlertState(incidentId: number, fingerprint: string, state: string): Promise<void> {
    await this.db.run('UPDATE incident_alerts SET state = ? WHERE incident_id = ? AND fingerprint = ?', [
      state,
      incidentId,
      fingerprint,
    ]);
  }

  async claimIncidentArchive(id: number, now: number): Promise<boolean> {
    const changed = await this.db.run(
      "UPDATE incidents SET archived_at = ? WHERE id = ? AND state = 'resolved' AND archived_at IS NULL",
      [now, id],
    );
    return changed > 0;
  }

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

  async listChatCursors(platform: string): Promise<Record<string, number>> {
    const rows = await this.db.all('SELECT cursor_key, at FROM chat_cursors WHERE platform = ?', [platform]);
    return Object.fromEntries(rows.map((row) => [str(row.cursor_key), num(row.at)]));
  }

  async claimChatPost(platform: string, postId: string, owner: string, now: number): Promise<boolean> {
    const changed = await this.db.run(
      `INSERT INTO chat_claims (platform, post_id, owner, at) VALUES (?, ?, ?, ?)
       ON CONFLICT (platform, post_id) DO NOTHING`,
      [platform, postId, owner, now],
    );
    return changed === 1;
  }

  pruneChatClaims(before: number): Promise<number> {
    return this.db.run('DELETE FROM chat_claims WHERE at < ?', [before]);
  }

  async getSetting(name: string): Promise<{ value: string; owner: string; updatedAt: number } | undefined> {
    const [row] = await this.db.all('SELECT value, owner, updated_at FROM store_settings WHERE name = ?', [
      name,
    ]);
    return row ? { value: str(row.value), owner: str(row.owner), updatedAt: num(row.updated_at) } : undefined;
  }

  async putSetting(
    name: string,
    value: string,
    owner: string,
    now: number,
    expect?: string | null,
  ): Promise<boolean> {
    if (expect === null) {
      const changed = await this.db.run(
        `INSERT INTO store_settings (name, value, owner, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (name) DO NOTHING`,
        [name, value, owner, now],
      );
      return changed === 1;
    }
    if (expect !== undefined) {
      const changed = await this.db.run(
        'UPDATE store_settings SET value = ?, owner = ?, updated_at = ? WHERE name = ? AND value = ?',
        [value, owner, now, name, expect],
      );
      return changed === 1;
    }
    await this.db.run(
      `INSERT INTO store_settings (name, value, owner, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET value = excluded.value, owner = excluded.owner, updated_at = excluded.updated_at`,
      [name, value, owner, now],
    );
    return true;
  }

  async advanceChatCursor(platform: string, key: string, at: number): Promise<void> {
    await this.db.run(
      `INSERT INTO chat_cursors (platform, cursor_key, at) VALUES (?, ?, ?)
       ON CONFLICT (platform, cursor_key) DO UPDATE SET at = excluded.at WHERE chat_cursors.at < excluded.at`,
      [platform, key, at],
    );
  }

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

function rowToOutbox(row: Row): OutboxItem {
  const item: OutboxItem = {
    id: num(row.id),
    dedupeKey: str(row.dedupe_key),
    groupKey: str(row.group_key),
    payload: json(row.payload),
    state: str(row.state) as OutboxState,
    attempts: num(row.attempts),
    nextAttemptAt: num(row.next_attempt_at),
    receivedAt: num(row.received_at),
  };
  const lastError = opt(row.last_error, str);
  if (lastError !== undefined) item.lastError = lastError;
  return item;
}

function rowToAlertPost(row: Row): AlertPost {
  const post: AlertPost = {
    groupKey: str(row.group_key),
    platform: str(row.platform),
    channelId: str(row.channel_id),
    postId: str(row.post_id),
  };
  const postKey = opt(row.post_key, str);
  const intentAt = opt(row.intent_at, num);
  if (postKey !== undefined) post.postKey = postKey;
  if (intentAt !== undefined) post.intentAt = intentAt;
  return post;
}

function rowToIncident(row: Row): Incident {
  const incident: Incident = {
    id: num(row.id),
    title: str(row.title),
    severity: num(row.severity),
    state: str(row.state) as IncidentState,
    platform: str(row.platform),
    channelName: str(row.channel_name),
    createdBy: str(row.created_by),
    createdAt: num(row.created_at),
  };
  const optional = {
    cluster: opt(row.cluster, str),
    channelId: opt(row.channel_id, str),
    commander: opt(row.commander, str),
    resolvedAt: opt(row.resolved_at, num),
    summary: opt(row.summary, str),
    comms: opt(row.comms, str),
    originChannelId: opt(row.origin_channel_id, str),
    originThreadId: opt(row.origin_thread_id, str),
    summaryPostId: opt(row.summary_post_id, str),
    archiveAt: opt(row.archive_at, num),
    archivedAt: opt(row.archived_at, num),
  };
  for (const [key, value] of Object.entries(optional)) {
    if (value !== undefined) Object.assign(incident, { [key]: value });
  }
  return incident;
}

function rowToIncidentAlert(row: Row): IncidentAlert {
  const link: IncidentAlert = {
    incidentId: num(row.incident_id),
    fingerprint: str(row.fingerprint),
    alertname: str(row.alertname),
    state: str(row.state),
    linkedBy: str(row.linked_by),
    linkedAt: num(row.linked_at),
  };
  const cluster = opt(row.cluster, str);
  if (cluster !== undefined) link.cluster = cluster;
  return link;
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

/**
 * The Store, written once in portable SQL over a SqlDriver: migrations and the connection here,
 * each concern's statements in its own file under sql/ (audit, outbox, incidents, runs, chat,
 * on call), which this class composes.
 */
import { MIGRATIONS, renderMigration } from './migrations.js';
import { AuditSql } from './sql/audit.js';
import { ChatSql } from './sql/chat.js';
import { num } from './sql/columns.js';
import { IncidentSql } from './sql/incidents.js';
import { OncallSql } from './sql/oncall.js';
import { OutboxSql } from './sql/outbox.js';
import { RunSql } from './sql/runs.js';
import type { SqlDriver } from './sql-driver.js';
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

export class SqlStore implements Store {
  private readonly audit: AuditSql;
  private readonly outbox: OutboxSql;
  private readonly incidents: IncidentSql;
  private readonly runs: RunSql;
  private readonly chat: ChatSql;
  private readonly oncall: OncallSql;

  constructor(private readonly db: SqlDriver) {
    this.audit = new AuditSql(db);
    this.outbox = new OutboxSql(db);
    this.incidents = new IncidentSql(db);
    this.runs = new RunSql(db);
    this.chat = new ChatSql(db);
    this.oncall = new OncallSql(db);
  }

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

  appendAudit(entry: AuditEntry): Promise<void> {
    return this.audit.appendAudit(entry);
  }

  listAudit(query: AuditQuery): Promise<AuditEntry[]> {
    return this.audit.listAudit(query);
  }

  createConfirmation(c: Confirmation): Promise<void> {
    return this.audit.createConfirmation(c);
  }

  getConfirmation(id: string): Promise<Confirmation | undefined> {
    return this.audit.getConfirmation(id);
  }

  decideConfirmation(
    id: string,
    to: Exclude<ConfirmationState, 'pending'>,
    decidedBy: string,
    now: number,
  ): Promise<boolean> {
    return this.audit.decideConfirmation(id, to, decidedBy, now);
  }

  enqueueOutbox(item: Omit<OutboxItem, 'id' | 'state' | 'attempts'>): Promise<boolean> {
    return this.outbox.enqueueOutbox(item);
  }

  enqueueOutboxBatch(
    items: Omit<OutboxItem, 'id' | 'state' | 'attempts'>[],
    onWritten?: () => void,
  ): Promise<boolean[]> {
    return this.outbox.enqueueOutboxBatch(items, onWritten);
  }

  completeAlertGroup(group: AlertGroupRecord, deliveredIds: number[], owner: string): Promise<void> {
    return this.outbox.completeAlertGroup(group, deliveredIds, owner);
  }

  markOutboxDeliveredMany(ids: number[]): Promise<void> {
    return this.outbox.markOutboxDeliveredMany(ids);
  }

  dueOutbox(now: number, limit: number): Promise<OutboxItem[]> {
    return this.outbox.dueOutbox(now, limit);
  }

  markOutboxDelivered(id: number): Promise<void> {
    return this.outbox.markOutboxDelivered(id);
  }

  markOutboxRetry(id: number, nextAttemptAt: number, error: string, giveUp: boolean): Promise<void> {
    return this.outbox.markOutboxRetry(id, nextAttemptAt, error, giveUp);
  }

  countOutbox(): Promise<Record<OutboxState, number>> {
    return this.outbox.countOutbox();
  }

  claimAlertGroup(
    groupKey: string,
    owner: string,
    now: number,
    leaseMs: number,
  ): Promise<GroupClaim | false> {
    return this.outbox.claimAlertGroup(groupKey, owner, now, leaseMs);
  }

  renewAlertGroup(groupKey: string, owner: string, now: number, leaseMs: number): Promise<boolean> {
    return this.outbox.renewAlertGroup(groupKey, owner, now, leaseMs);
  }

  releaseAlertGroup(groupKey: string, owner: string, unsettled = false): Promise<void> {
    return this.outbox.releaseAlertGroup(groupKey, owner, unsettled);
  }

  pendingOutboxAttempts(ids: number[]): Promise<Map<number, number>> {
    return this.outbox.pendingOutboxAttempts(ids);
  }

  recordAlertPostIntent(intent: Required<Omit<AlertPost, 'postId'>>): Promise<void> {
    return this.outbox.recordAlertPostIntent(intent);
  }

  saveAlertPost(post: AlertPost): Promise<boolean> {
    return this.outbox.saveAlertPost(post);
  }

  findAlertPosts(groupKey: string): Promise<AlertPost[]> {
    return this.outbox.findAlertPosts(groupKey);
  }

  findAlertPostById(postId: string): Promise<AlertPost | undefined> {
    return this.outbox.findAlertPostById(postId);
  }

  getAlertGroup(groupKey: string): Promise<AlertGroupRecord | undefined> {
    return this.outbox.getAlertGroup(groupKey);
  }

  saveAlertGroup(group: AlertGroupRecord): Promise<void> {
    return this.outbox.saveAlertGroup(group);
  }

  staleAlertGroups(limit: number): Promise<string[]> {
    return this.outbox.staleAlertGroups(limit);
  }

  createIncident(incident: Omit<Incident, 'id'>): Promise<Incident> {
    return this.incidents.createIncident(incident);
  }

  updateIncident(id: number, changes: Partial<Omit<Incident, 'id'>>): Promise<void> {
    return this.incidents.updateIncident(id, changes);
  }

  getIncident(id: number): Promise<Incident | undefined> {
    return this.incidents.getIncident(id);
  }

  listIncidents(query: { state?: IncidentState }): Promise<Incident[]> {
    return this.incidents.listIncidents(query);
  }

  addTimeline(entry: TimelineEntry): Promise<void> {
    return this.incidents.addTimeline(entry);
  }

  listTimeline(incidentId: number): Promise<TimelineEntry[]> {
    return this.incidents.listTimeline(incidentId);
  }

  findIncidentByChannel(platform: string, channelId: string): Promise<Incident | undefined> {
    return this.incidents.findIncidentByChannel(platform, channelId);
  }

  linkIncidentAlert(link: IncidentAlert): Promise<boolean> {
    return this.incidents.linkIncidentAlert(link);
  }

  listIncidentAlerts(incidentId: number): Promise<IncidentAlert[]> {
    return this.incidents.listIncidentAlerts(incidentId);
  }

  findAlertIncidents(fingerprint: string): Promise<IncidentAlert[]> {
    return this.incidents.findAlertIncidents(fingerprint);
  }

  setIncidentAlertState(incidentId: number, fingerprint: string, state: string): Promise<void> {
    return this.incidents.setIncidentAlertState(incidentId, fingerprint, state);
  }

  claimIncidentArchive(id: number, now: number): Promise<boolean> {
    return this.incidents.claimIncidentArchive(id, now);
  }

  saveRun(run: Run): Promise<void> {
    return this.runs.saveRun(run);
  }

  getRun(id: string): Promise<Run | undefined> {
    return this.runs.getRun(id);
  }

  listRuns(query: { kind?: RunKind; unfinished?: boolean }): Promise<Run[]> {
    return this.runs.listRuns(query);
  }

  listChatCursors(platform: string): Promise<Record<string, number>> {
    return this.chat.listChatCursors(platform);
  }

  claimChatPost(platform: string, postId: string, owner: string, now: number): Promise<boolean> {
    return this.chat.claimChatPost(platform, postId, owner, now);
  }

  pruneChatClaims(before: number): Promise<number> {
    return this.chat.pruneChatClaims(before);
  }

  getSetting(name: string): Promise<{ value: string; owner: string; updatedAt: number } | undefined> {
    return this.chat.getSetting(name);
  }

  putSetting(
    name: string,
    value: string,
    owner: string,
    now: number,
    expect?: string | null,
  ): Promise<boolean> {
    return this.chat.putSetting(name, value, owner, now, expect);
  }

  advanceChatCursor(platform: string, key: string, at: number): Promise<void> {
    return this.chat.advanceChatCursor(platform, key, at);
  }

  addOncallOverrides(overrides: Omit<OncallOverride, 'id'>[]): Promise<OncallOverride[]> {
    return this.oncall.addOncallOverrides(overrides);
  }

  listOncallOverrides(query: { endsAfter: number; team?: string }): Promise<OncallOverride[]> {
    return this.oncall.listOncallOverrides(query);
  }

  cancelOncallOverride(id: number): Promise<OncallOverride[]> {
    return this.oncall.cancelOncallOverride(id);
  }
}

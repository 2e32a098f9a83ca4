/**
 * The alert outbox (webhook rows until delivered), the claims on alert groups that let one replica
 * deliver a group at a time, and the chat posts and state of each group.
 */
import type { Row, SqlDriver } from '../sql-driver.js';
import type { AlertGroupRecord, AlertPost, GroupClaim, OutboxItem, OutboxState, Store } from '../store.js';
import { json, num, opt, str } from './columns.js';

export class OutboxSql
  implements
    Pick<
      Store,
      | 'enqueueOutbox'
      | 'enqueueOutboxBatch'
      | 'markOutboxDeliveredMany'
      | 'dueOutbox'
      | 'markOutboxDelivered'
      | 'markOutboxRetry'
      | 'countOutbox'
      | 'claimAlertGroup'
      | 'renewAlertGroup'
      | 'releaseAlertGroup'
      | 'pendingOutboxAttempts'
      | 'recordAlertPostIntent'
      | 'saveAlertPost'
      | 'findAlertPosts'
      | 'findAlertPostById'
      | 'getAlertGroup'
      | 'saveAlertGroup'
      | 'staleAlertGroups'
      | 'completeAlertGroup'
    >
{
  constructor(private readonly db: SqlDriver) {}

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
    await this.db.lazy.transaction((tx) => markDelivered(tx, ids));
  }

  async completeAlertGroup(group: AlertGroupRecord, deliveredIds: number[], owner: string): Promise<void> {
    // Lazy, as each of the three was on its own: a power cut may lose it, and then the rows are
    // delivered again under a recovered claim, which looks before it posts.
    await this.db.lazy.transaction(async (tx) => {
      await saveGroup(tx, group);
      await markDelivered(tx, deliveredIds);
      await tx.run('DELETE FROM alert_claims WHERE group_key = ? AND owner = ?', [group.groupKey, owner]);
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
    await saveGroup(this.db.lazy, group);
  }

  async staleAlertGroups(limit: number): Promise<string[]> {
    const rows = await this.db.all(
      'SELECT group_key FROM alert_groups WHERE stale_since IS NOT NULL ORDER BY stale_since, group_key LIMIT ?',
      [limit],
    );
    return rows.map((row) => str(row.group_key));
  }
}

async function saveGroup(db: SqlDriver, group: AlertGroupRecord): Promise<void> {
  await db.run(
    `INSERT INTO alert_groups (group_key, data, updated_at, stale_since) VALUES (?, ?, ?, ?)
     ON CONFLICT (group_key) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at,
       stale_since = excluded.stale_since`,
    [group.groupKey, JSON.stringify(group.data), group.updatedAt, group.staleSince ?? null],
  );
}

async function markDelivered(db: SqlDriver, ids: number[]): Promise<void> {
  for (const id of ids) {
    await db.run(`UPDATE alert_outbox SET state = 'delivered', attempts = attempts + 1 WHERE id = ?`, [id]);
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

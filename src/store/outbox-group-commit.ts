/**
 * Group commit of the outbox: every webhook whose rows are handed in during one event-loop turn
 * is written in one transaction, and each caller is answered only when that transaction has
 * committed. One commit (one fsync on SQLite, one round trip of BEGIN…COMMIT on PostgreSQL) then
 * serves a whole burst of webhooks instead of one each, and the 200 still means the alert is on
 * disk. If the commit fails, every webhook of the group fails with it (Alertmanager retries
 * them); none was answered before.
 *
 * The group closes at the end of the turn (setImmediate runs after the poll phase that read the
 * requests), so a lone webhook waits for no timer. While one group is flushed to disk, the next
 * collects; delivery is woken when a group is committed, so the post to chat need not wait for
 * the disk, only the 200 does.
 */
import type { OutboxItem, Store } from './store.js';

export type NewOutboxItem = Omit<OutboxItem, 'id' | 'state' | 'attempts'>;

interface Waiting {
  items: NewOutboxItem[];
  resolve: (added: boolean[]) => void;
  reject: (error: unknown) => void;
}

export class OutboxGroupCommit {
  private waiting: Waiting[] = [];
  private scheduled = false;

  constructor(
    private readonly store: Pick<Store, 'enqueueOutboxBatch'>,
    /** Told when a group is committed and readable, before it is on disk (wakes delivery). */
    private readonly onWritten?: () => void,
  ) {}

  /** Stores the rows with the others of this turn; per row, whether it was new (false: a retry). */
  enqueue(items: NewOutboxItem[]): Promise<boolean[]> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ items, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.commit());
      }
    });
  }

  private commit(): void {
    this.scheduled = false;
    const group = this.waiting;
    this.waiting = [];
    const rows = group.flatMap((w) => w.items);
    this.store.enqueueOutboxBatch(rows, this.onWritten).then(
      (added) => {
        let offset = 0;
        for (const w of group) {
          w.resolve(added.slice(offset, offset + w.items.length));
          offset += w.items.length;
        }
      },
      (error: unknown) => {
        for (const w of group) w.reject(error);
      },
    );
  }
}

/**
 * Where the chat adapters stopped reading (cursors), which replica took a post (claims), and
 * the store-wide settings.
 */
import type { SqlDriver } from '../sql-driver.js';
import type { Store } from '../store.js';
import { num, str } from './columns.js';

export class ChatSql
  implements
    Pick<
      Store,
      | 'listChatCursors'
      | 'claimChatPost'
      | 'pruneChatClaims'
      | 'getSetting'
      | 'putSetting'
      | 'advanceChatCursor'
    >
{
  constructor(private readonly db: SqlDriver) {}

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
}

/**
 * Versioned schema migrations. Append only: a released migration is never edited, a change is
 * a new version. `${ID}` and `${BIG}` are the two words the dialects spell differently.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'audit, confirmations, alert outbox, incidents, runs',
    sql: `
CREATE TABLE audit_log (
  id \${ID},
  at \${BIG} NOT NULL,
  request_id TEXT NOT NULL,
  platform TEXT NOT NULL,
  user_id TEXT NOT NULL,
  username TEXT NOT NULL,
  channel_id TEXT NOT NULL,
  channel_name TEXT NOT NULL,
  command TEXT NOT NULL,
  args TEXT NOT NULL,
  outcome TEXT NOT NULL,
  detail TEXT NOT NULL,
  duration_ms INTEGER NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_user ON audit_log (username, at);

CREATE TABLE confirmations (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  platform TEXT NOT NULL,
  user_id TEXT NOT NULL,
  username TEXT NOT NULL,
  user_groups TEXT NOT NULL,
  channel_id TEXT NOT NULL,
  channel_name TEXT NOT NULL,
  text TEXT NOT NULL,
  state TEXT NOT NULL,
  created_at \${BIG} NOT NULL,
  expires_at \${BIG} NOT NULL,
  decided_by TEXT,
  decided_at \${BIG}
);

CREATE TABLE alert_outbox (
  id \${ID},
  dedupe_key TEXT NOT NULL UNIQUE,
  group_key TEXT NOT NULL,
  payload TEXT NOT NULL,
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at \${BIG} NOT NULL,
  received_at \${BIG} NOT NULL,
  last_error TEXT
);
CREATE INDEX alert_outbox_due ON alert_outbox (state, next_attempt_at);

CREATE TABLE alert_posts (
  group_key TEXT NOT NULL,
  platform TEXT NOT NULL,
  channel_id TEXT NOT NULL,
  post_id TEXT NOT NULL,
  PRIMARY KEY (group_key, platform, channel_id)
);

CREATE TABLE incidents (
  id \${ID},
  title TEXT NOT NULL,
  severity INTEGER NOT NULL,
  cluster TEXT,
  state TEXT NOT NULL,
  platform TEXT NOT NULL,
  channel_id TEXT,
  channel_name TEXT NOT NULL,
  commander TEXT,
  created_by TEXT NOT NULL,
  created_at \${BIG} NOT NULL,
  resolved_at \${BIG},
  summary TEXT
);

CREATE TABLE incident_timeline (
  id \${ID},
  incident_id INTEGER NOT NULL REFERENCES incidents (id),
  at \${BIG} NOT NULL,
  author TEXT NOT NULL,
  kind TEXT NOT NULL,
  text TEXT NOT NULL
);
CREATE INDEX incident_timeline_incident ON incident_timeline (incident_id, at);

CREATE TABLE runs (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  name TEXT NOT NULL,
  cluster TEXT,
  state TEXT NOT NULL,
  started_by TEXT NOT NULL,
  started_at \${BIG} NOT NULL,
  updated_at \${BIG} NOT NULL,
  finished_at \${BIG},
  data TEXT NOT NULL
);
CREATE INDEX runs_unfinished ON runs (kind, finished_at);
`,
  },
  {
    version: 2,
    name: 'alert groups: the merged state of each Alertmanager group a post shows',
    sql: `
CREATE TABLE alert_groups (
  group_key TEXT PRIMARY KEY,
  data TEXT NOT NULL,
  updated_at \${BIG} NOT NULL
);
`,
  },
  {
    version: 3,
    name: 'incident rooms: roles, origin, pinned summary, archiving, linked alerts',
    sql: `
ALTER TABLE incidents ADD COLUMN comms TEXT;
ALTER TABLE incidents ADD COLUMN origin_channel_id TEXT;
ALTER TABLE incidents ADD COLUMN origin_thread_id TEXT;
ALTER TABLE incidents ADD COLUMN summary_post_id TEXT;
ALTER TABLE incidents ADD COLUMN archive_at \${BIG};
ALTER TABLE incidents ADD COLUMN archived_at \${BIG};
CREATE INDEX incidents_channel ON incidents (platform, channel_id);

CREATE TABLE incident_alerts (
  incident_id INTEGER NOT NULL REFERENCES incidents (id),
  fingerprint TEXT NOT NULL,
  alertname TEXT NOT NULL,
  cluster TEXT,
  state TEXT NOT NULL,
  linked_by TEXT NOT NULL,
  linked_at \${BIG} NOT NULL,
  PRIMARY KEY (incident_id, fingerprint)
);
CREATE INDEX incident_alerts_fingerprint ON incident_alerts (fingerprint);
`,
  },
  {
    version: 4,
    name: 'alert posts by post id, for links to alert posts',
    sql: `
CREATE INDEX alert_posts_post ON alert_posts (post_id);
`,
  },
  {
    version: 5,
    name: 'chat cursors: the newest post the bot handled per channel, for catching up after an outage',
    sql: `
CREATE TABLE chat_cursors (
  platform TEXT NOT NULL,
  cursor_key TEXT NOT NULL,
  at \${BIG} NOT NULL,
  PRIMARY KEY (platform, cursor_key)
);
`,
  },
  {
    version: 6,
    name: 'alert groups whose posts fell behind during a storm, to refresh them oldest first',
    sql: `
ALTER TABLE alert_groups ADD COLUMN stale_since \${BIG};
CREATE INDEX alert_groups_stale ON alert_groups (stale_since);
`,
  },
  {
    version: 7,
    name: 'replicas: group delivery claims, post intents, inbound claims, shared settings',
    sql: `
CREATE TABLE alert_claims (
  group_key TEXT PRIMARY KEY,
  owner TEXT NOT NULL,
  until \${BIG} NOT NULL
);
ALTER TABLE alert_posts ADD COLUMN post_key TEXT;
ALTER TABLE alert_posts ADD COLUMN intent_at \${BIG};
CREATE TABLE chat_claims (
  platform TEXT NOT NULL,
  post_id TEXT NOT NULL,
  owner TEXT NOT NULL,
  at \${BIG} NOT NULL,
  PRIMARY KEY (platform, post_id)
);
CREATE INDEX chat_claims_at ON chat_claims (at);
CREATE TABLE store_settings (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  owner TEXT NOT NULL,
  updated_at \${BIG} NOT NULL
);
`,
  },
  {
    version: 8,
    name: 'on-call overrides and swaps',
    sql: `
CREATE TABLE oncall_overrides (
  id \${ID},
  team TEXT NOT NULL,
  person TEXT NOT NULL,
  starts_at \${BIG} NOT NULL,
  ends_at \${BIG} NOT NULL,
  kind TEXT NOT NULL,
  swap_id TEXT,
  note TEXT NOT NULL,
  created_by TEXT NOT NULL,
  created_at \${BIG} NOT NULL
);
CREATE INDEX oncall_overrides_ends ON oncall_overrides (ends_at);
`,
  },
];

const WORDS: Record<'sqlite' | 'postgres', Record<string, string>> = {
  sqlite: { ID: 'INTEGER PRIMARY KEY AUTOINCREMENT', BIG: 'INTEGER' },
  postgres: { ID: 'BIGSERIAL PRIMARY KEY', BIG: 'BIGINT' },
};

export function renderMigration(sql: string, dialect: 'sqlite' | 'postgres'): string[] {
  return sql
    .replace(/\$\{(ID|BIG)\}/g, (_, word: string) => WORDS[dialect][word] as string)
    .split(';')
    .map((statement) => statement.trim())
    .filter((statement) => statement.length > 0);
}

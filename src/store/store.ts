/**
 * The Store port: everything coxswain must not lose. Two implementations share one SQL body
 * (src/store/sql-store.ts) over two drivers, SQLite and PostgreSQL, and one contract suite.
 * Times are epoch milliseconds; JSON columns hold objects the caller owns.
 */

export type AuditOutcome =
  | 'ok'
  | 'error'
  | 'denied'
  | 'invalid'
  | 'unknown'
  | 'unavailable'
  | 'awaiting-confirmation'
  | 'awaiting-approval'
  | 'cancelled'
  | 'expired';

export interface AuditEntry {
  at: number;
  requestId: string;
  platform: string;
  userId: string;
  username: string;
  channelId: string;
  channelName: string;
  /** The resolved command path (`drill run`), or the first word when it was unknown. */
  command: string;
  args: Record<string, unknown>;
  outcome: AuditOutcome;
  detail: string;
  durationMs: number;
}

export interface AuditQuery {
  username?: string;
  since?: number;
  limit?: number;
}

export type ConfirmationKind = 'confirm' | 'approve';
export type ConfirmationState = 'pending' | 'done' | 'cancelled' | 'rejected';

/** A dangerous command waiting for its invoker's Confirm, or for a second person's approval. */
export interface Confirmation {
  id: string;
  kind: ConfirmationKind;
  platform: string;
  userId: string;
  username: string;
  /** The invoker's groups when they asked, so an approved command runs with the same roles. */
  userGroups: string[];
  channelId: string;
  channelName: string;
  /** The command text as typed after the command word, replayed when confirmed. */
  text: string;
  state: ConfirmationState;
  createdAt: number;
  expiresAt: number;
  decidedBy?: string;
  decidedAt?: number;
}

export type OutboxState = 'pending' | 'delivered' | 'failed';

/** One unit of alert delivery, written before the webhook is answered. */
export interface OutboxItem {
  id: number;
  /** Group key + fingerprint + status: a retried webhook maps to the same key and is not stored twice. */
  dedupeKey: string;
  groupKey: string;
  payload: Record<string, unknown>;
  state: OutboxState;
  attempts: number;
  nextAttemptAt: number;
  receivedAt: number;
  lastError?: string;
}

export interface AlertPost {
  groupKey: string;
  platform: string;
  channelId: string;
  /** The chat post; '' while only the intent to post is recorded (see recordAlertPostIntent). */
  postId: string;
  /** The deterministic key the post carries in chat, so a retry after a crash can find it. */
  postKey?: string;
  /** When the intent was recorded: the post, if it was made, is newer than this. */
  intentAt?: number;
}

/** How a group claim was got: `fresh`, or `recovered` from a replica that died holding it. */
export type GroupClaim = 'fresh' | 'recovered';

/** The merged state of one Alertmanager group, as its posts show it (owned by src/alerts). */
export interface AlertGroupRecord {
  groupKey: string;
  data: Record<string, unknown>;
  updatedAt: number;
  /** Since when a post of the group shows an older state than `data` (an update held back in a storm). */
  staleSince?: number;
}

export type IncidentState = 'open' | 'resolved';

export interface Incident {
  id: number;
  title: string;
  severity: number;
  cluster?: string;
  state: IncidentState;
  platform: string;
  channelId?: string;
  channelName: string;
  commander?: string;
  createdBy: string;
  createdAt: number;
  resolvedAt?: number;
  summary?: string;
  comms?: string;
  /** Where it was opened from, so the room links back and the resolution is told there. */
  originChannelId?: string;
  originThreadId?: string;
  /** The pinned summary post in the room. */
  summaryPostId?: string;
  /** When the resolved room is due to be archived, and when it was. */
  archiveAt?: number;
  archivedAt?: number;
}

/** An alert linked to an incident; its state changes post into the room. */
export interface IncidentAlert {
  incidentId: number;
  fingerprint: string;
  alertname: string;
  cluster?: string;
  /** firing or resolved, as Alertmanager last said. */
  state: string;
  linkedBy: string;
  linkedAt: number;
}

export interface TimelineEntry {
  incidentId: number;
  at: number;
  author: string;
  kind: string;
  text: string;
}

export type RunKind = 'phase' | 'drill';

/** A phase or drill run: a small reconciler's stored state, so a restart resumes or rolls back. */
export interface Run {
  id: string;
  kind: RunKind;
  name: string;
  cluster?: string;
  state: string;
  startedBy: string;
  startedAt: number;
  updatedAt: number;
  finishedAt?: number;
  data: Record<string, unknown>;
}

export type OncallOverrideKind = 'override' | 'swap';

/**
 * Someone on call for a team instead of whoever the rota names, from `startsAt` until `endsAt`.
 * A swap is two of these, written together, one per traded shift.
 */
export interface OncallOverride {
  id: number;
  team: string;
  /** The username on call instead, lowercase, without `@`. */
  person: string;
  startsAt: number;
  endsAt: number;
  kind: OncallOverrideKind;
  /** The id both halves of a swap share. */
  swapId?: string;
  /** Why, as its author gave it, or what a swap traded. */
  note: string;
  createdBy: string;
  createdAt: number;
}

export interface Store {
  readonly driver: 'sqlite' | 'postgres';
  /** Applies pending migrations; safe to call on every start and from several replicas. */
  migrate(): Promise<number>;
  ping(): Promise<boolean>;
  close(): Promise<void>;

  appendAudit(entry: AuditEntry): Promise<void>;
  listAudit(query: AuditQuery): Promise<AuditEntry[]>;

  createConfirmation(confirmation: Confirmation): Promise<void>;
  getConfirmation(id: string): Promise<Confirmation | undefined>;
  /**
   * Moves a pending, unexpired confirmation to `to` in one atomic step. Returns false when it was
   * already used, cancelled or expired, so a double click or a replay cannot run twice.
   */
  decideConfirmation(
    id: string,
    to: Exclude<ConfirmationState, 'pending'>,
    decidedBy: string,
    now: number,
  ): Promise<boolean>;

  /** Stores an outbox item; false when one with the same dedupe key exists (a retried webhook). */
  enqueueOutbox(item: Omit<OutboxItem, 'id' | 'state' | 'attempts'>): Promise<boolean>;
  /**
   * Stores several items in one transaction (one webhook's alerts, or a group of webhooks); per
   * item, whether it was new. Resolves once they are on disk. `onWritten` is called as soon as
   * new ones are committed and readable, possibly before they reach the disk: delivery can start.
   */
  enqueueOutboxBatch(
    items: Omit<OutboxItem, 'id' | 'state' | 'attempts'>[],
    onWritten?: () => void,
  ): Promise<boolean[]>;
  /** Pending items whose next attempt is due, oldest first. */
  dueOutbox(now: number, limit: number): Promise<OutboxItem[]>;
  markOutboxDelivered(id: number): Promise<void>;
  /** Marks several items delivered in one transaction. */
  markOutboxDeliveredMany(ids: number[]): Promise<void>;
  markOutboxRetry(id: number, nextAttemptAt: number, error: string, giveUp: boolean): Promise<void>;
  countOutbox(): Promise<Record<OutboxState, number>>;
  /**
   * Claims a group's delivery for `owner` until `now + leaseMs`, so exactly one replica posts or
   * updates a group at a time; the holder renews by claiming again. False while another owner
   * holds an unexpired claim. `recovered` when the claim was left behind (its holder crashed, or
   * this owner crashed and restarted): what it was doing may have reached chat already.
   */
  claimAlertGroup(groupKey: string, owner: string, now: number, leaseMs: number): Promise<GroupClaim | false>;
  /** Extends the owner's claim; false when it had expired and another replica took it. */
  renewAlertGroup(groupKey: string, owner: string, now: number, leaseMs: number): Promise<boolean>;
  /**
   * Gives a claim up; only the owner's own claim is touched. With `unsettled` (the work failed
   * part way, so chat may have taken a call whose answer was lost) the claim is left expired
   * instead of removed: whoever claims it next gets `recovered` and looks before posting.
   */
  releaseAlertGroup(groupKey: string, owner: string, unsettled?: boolean): Promise<void>;
  /**
   * Of the rows, those still pending, with their attempts so far (read again under the group's
   * claim; the payloads are not read again).
   */
  pendingOutboxAttempts(ids: number[]): Promise<Map<number, number>>;
  /**
   * Records, before the chat call, that a post of the group is about to be made in the channel
   * with `postKey`; a row that exists (intent or post) is left as it is.
   */
  recordAlertPostIntent(intent: Required<Omit<AlertPost, 'postId'>>): Promise<void>;
  /**
   * Stores the post made for an intent (or a post with none). Never replaces another post of the
   * same group and channel: false then, and the caller's post is the one left over.
   */
  saveAlertPost(post: AlertPost): Promise<boolean>;
  /** The group's posts, intents (postId '') included. */
  findAlertPosts(groupKey: string): Promise<AlertPost[]>;
  /** The alert post with this platform post id, when the bot made one. */
  findAlertPostById(postId: string): Promise<AlertPost | undefined>;
  getAlertGroup(groupKey: string): Promise<AlertGroupRecord | undefined>;
  saveAlertGroup(group: AlertGroupRecord): Promise<void>;
  /**
   * The end of a group's delivery, in one transaction: its state saved, its rows marked delivered
   * and the owner's claim released (as saveAlertGroup, markOutboxDeliveredMany and
   * releaseAlertGroup would, but one commit instead of three, and all or none).
   */
  completeAlertGroup(group: AlertGroupRecord, deliveredIds: number[], owner: string): Promise<void>;
  /** Keys of the groups with posts behind their state, the longest behind first. */
  staleAlertGroups(limit: number): Promise<string[]>;

  createIncident(incident: Omit<Incident, 'id'>): Promise<Incident>;
  updateIncident(id: number, changes: Partial<Omit<Incident, 'id'>>): Promise<void>;
  getIncident(id: number): Promise<Incident | undefined>;
  listIncidents(query: { state?: IncidentState }): Promise<Incident[]>;
  addTimeline(entry: TimelineEntry): Promise<void>;
  listTimeline(incidentId: number): Promise<TimelineEntry[]>;
  /** The incident whose room is this channel. */
  findIncidentByChannel(platform: string, channelId: string): Promise<Incident | undefined>;
  /** Links an alert; false when it was linked to this incident already. */
  linkIncidentAlert(link: IncidentAlert): Promise<boolean>;
  listIncidentAlerts(incidentId: number): Promise<IncidentAlert[]>;
  /** Every link of the alert with this fingerprint, across incidents. */
  findAlertIncidents(fingerprint: string): Promise<IncidentAlert[]>;
  setIncidentAlertState(incidentId: number, fingerprint: string, state: string): Promise<void>;
  /** Marks a resolved incident's room archived once; false when another replica did it first. */
  claimIncidentArchive(id: number, now: number): Promise<boolean>;

  saveRun(run: Run): Promise<void>;
  getRun(id: string): Promise<Run | undefined>;
  listRuns(query: { kind?: RunKind; unfinished?: boolean }): Promise<Run[]>;

  /**
   * Chat cursors: per platform and key (a channel id, or `*` for all), the server time of the
   * newest post the bot handled, so it can fetch what it missed after an outage or a restart.
   */
  listChatCursors(platform: string): Promise<Record<string, number>>;
  /** Moves a cursor forward to `at`; never backwards, so a late or replayed write cannot rewind it. */
  advanceChatCursor(platform: string, key: string, at: number): Promise<void>;
  /**
   * Claims an inbound chat post (a mention or DM) for `owner`: true for exactly one caller, so
   * with several replicas each hearing it, one answers.
   */
  claimChatPost(platform: string, postId: string, owner: string, now: number): Promise<boolean>;
  /** Forgets claims made before `before` (posts no catch-up looks at any more); returns how many. */
  pruneChatClaims(before: number): Promise<number>;

  /** A value all replicas share (the signing key's fingerprint), with who wrote it and when. */
  getSetting(name: string): Promise<{ value: string; owner: string; updatedAt: number } | undefined>;
  /**
   * Writes a shared value. With `expect`, only when the stored value is still that (or absent
   * when `expect` is null); returns whether it wrote.
   */
  putSetting(
    name: string,
    value: string,
    owner: string,
    now: number,
    expect?: string | null,
  ): Promise<boolean>;

  /** Stores on-call overrides in one transaction (a swap's two halves both or neither). */
  addOncallOverrides(overrides: Omit<OncallOverride, 'id'>[]): Promise<OncallOverride[]>;
  /** Overrides that end after `endsAfter`, by start time. */
  listOncallOverrides(query: { endsAfter: number; team?: string }): Promise<OncallOverride[]>;
  /** Removes one override (and the other half of a swap made with it); what was removed. */
  cancelOncallOverride(id: number): Promise<OncallOverride[]>;
}

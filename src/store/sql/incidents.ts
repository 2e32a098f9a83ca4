/** Incidents, their timelines and the alerts linked to them. */
import type { Param, Row, SqlDriver } from '../sql-driver.js';
import type { Incident, IncidentAlert, IncidentState, Store, TimelineEntry } from '../store.js';
import { num, opt, str } from './columns.js';

export class IncidentSql
  implements
    Pick<
      Store,
      | 'createIncident'
      | 'updateIncident'
      | 'getIncident'
      | 'listIncidents'
      | 'addTimeline'
      | 'listTimeline'
      | 'findIncidentByChannel'
      | 'linkIncidentAlert'
      | 'listIncidentAlerts'
      | 'findAlertIncidents'
      | 'setIncidentAlertState'
      | 'claimIncidentArchive'
    >
{
  constructor(private readonly db: SqlDriver) {}

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

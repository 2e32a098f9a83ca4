/**
 * What every part of the incident engine works with: its dependencies, the display zone, the
 * room of an incident (and the platform's rooms capability), and the timeline in the store. The
 * engine (engine.ts) builds one and hands it to the parts beside it (open-room.ts, summary.ts,
 * alert-links.ts, resolve.ts, shifts.ts), so that each reads as the steps of its own concern.
 */
import type { Logger } from '../log.js';
import type { Message } from '../message.js';
import type { ChatPort, Destination, RoomsCapability } from '../ports.js';
import type { Incident, Store } from '../store/store.js';
import type { IncidentsConfig, OncallConfig } from './config-schema.js';
import type { OncallRoster } from './oncall-roster.js';
import { roomLink } from './render.js';

/** A problem the person who asked can fix; its message is a sentence shown to them. */
export class IncidentError extends Error {}

export interface IncidentEngineDeps {
  incidents: IncidentsConfig;
  /** The top-level display zone, used when incidents.timeZone is not set (unset: UTC). */
  timeZone?: string;
  oncall: OncallConfig;
  store: Store;
  chat: ChatPort;
  log: Logger;
  now: () => number;
  /** A markdown health summary of one cluster, when a health engine is wired in (looked up per call). */
  healthSnapshot?: () => ((cluster: string) => Promise<string>) | undefined;
  /** The rota with overrides applied; without it, the rota alone. */
  roster?: OncallRoster;
}

export class IncidentContext {
  constructor(readonly deps: IncidentEngineDeps) {}

  get timeZone(): string {
    return this.deps.incidents.timeZone ?? this.deps.timeZone ?? 'UTC';
  }

  /** A channel as a link in message text, the way this platform writes one (Mattermost `~name`). */
  mention(name: string): string {
    return this.deps.chat.rooms?.mention?.({ name }) ?? roomLink(name);
  }

  /** The platform's rooms; a platform without them cannot have incidents, and says so. */
  rooms(): RoomsCapability {
    const { rooms, platform } = this.deps.chat;
    if (!rooms)
      throw new IncidentError(
        `The ${platform} adapter cannot create rooms yet, so incidents cannot be opened here. Nothing was done.`,
      );
    return rooms;
  }

  roomOf(incident: Incident): Destination {
    if (!incident.channelId) throw new IncidentError(`Incident ${incident.id} has no room.`);
    return { channelId: incident.channelId };
  }

  async postInRoom(incident: Incident, message: Message): Promise<void> {
    await this.deps.chat.post(this.roomOf(incident), message);
  }

  /** A line in the incident's timeline. */
  async record(incident: Incident, author: string, kind: string, text: string): Promise<void> {
    await this.deps.store.addTimeline({ incidentId: incident.id, at: this.deps.now(), author, kind, text });
  }
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

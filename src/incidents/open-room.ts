/**
 * Opening an incident: a room with a free name, the incident and its first timeline lines, the
 * on-call people invited, the alert it came from linked, the pinned summary with a health
 * snapshot, the link back in the alert's thread, and the announcement for severe ones. Its own
 * file because opening is the longest thing the engine does and touches every other part once.
 */
import type { Message } from '../message.js';
import { type Room, RoomExistsError, type RoomsCapability } from '../ports.js';
import type { Incident } from '../store/store.js';
import { escapeChat, inlineCode } from '../text/escape.js';
import { compactDate } from '../text/time.js';
import { type AlertRef, linkAlertQuietly } from './alert-links.js';
import { errorText, type IncidentContext, IncidentError } from './context.js';
import { messageSeverity, sevLabel } from './render.js';
import { roomName } from './room-name.js';
import { peopleFor } from './shifts.js';
import type { PinnedSummary } from './summary.js';

export interface OpenRequest {
  title: string;
  severity?: number;
  cluster?: string;
  /** The username of whoever opened it. */
  by: string;
  /** Where it was opened: a channel, or an alert post's thread. */
  origin: { channelId: string; channelName: string; threadId?: string };
  alert?: AlertRef;
}

const HEALTH_TIMEOUT_MS = 10_000;

/** Opens the room and everything in it; the caller runs one at a time, so two of one title get two names. */
export async function openRoom(
  ic: IncidentContext,
  summary: PinnedSummary,
  request: OpenRequest,
): Promise<{ incident: Incident; room: Room }> {
  const { store, chat, now, incidents, log } = ic.deps;
  const rooms = ic.rooms();
  const title = request.title.trim().replace(/\s+/g, ' ');
  if (title === '') throw new IncidentError('An incident needs a title: say in a few words what is wrong.');
  const severity = request.severity ?? incidents.defaultSeverity;
  const openedAt = now();
  const room = await createRoom(ic, rooms, compactDate(openedAt, ic.timeZone), title);
  const draft: Omit<Incident, 'id'> = {
    title,
    severity,
    state: 'open',
    platform: chat.platform,
    channelId: room.channelId,
    channelName: room.name,
    commander: request.by,
    createdBy: request.by,
    createdAt: openedAt,
    originChannelId: request.origin.channelId,
  };
  if (request.cluster) draft.cluster = request.cluster;
  if (request.origin.threadId) draft.originThreadId = request.origin.threadId;
  const incident = await store.createIncident(draft);
  await ic.record(
    incident,
    request.by,
    'opened',
    `${title} (${sevLabel(severity)}${request.cluster ? `, cluster ${request.cluster}` : ''}) from #${request.origin.channelName}`,
  );
  await invite(ic, rooms, room, incident, request.cluster, severity, request.by);

  if (request.alert) await linkAlertQuietly(ic, incident, request.by, request.alert);
  summary.opened(incident.id, await snapshot(ic, request.cluster), request.origin.channelName);
  const summaryRef = await chat.post(room, await summary.message(incident));
  await store.updateIncident(incident.id, { summaryPostId: summaryRef.postId });
  incident.summaryPostId = summaryRef.postId;
  await rooms
    .pin(summaryRef)
    .catch((error: unknown) => log.warn({ err: error, room: room.name }, 'could not pin the summary'));

  if (request.origin.threadId) {
    // Opened from an alert post: the link back goes into the alert's thread.
    await chat
      .post(
        { channelId: request.origin.channelId, threadId: request.origin.threadId },
        openedNotice(ic, incident),
      )
      .catch((error: unknown) => log.warn({ err: error }, 'could not link the room in the alert thread'));
  }
  if (severity <= incidents.announceUpTo) await announce(ic, incident);
  return { incident, room };
}

/** Invites the on-call people; a failure is recorded, and the room stays open. */
async function invite(
  ic: IncidentContext,
  rooms: RoomsCapability,
  room: Room,
  incident: Incident,
  cluster: string | undefined,
  severity: number,
  opener: string,
): Promise<void> {
  const people = peopleFor(ic, cluster, severity, opener);
  try {
    const { skipped } = await rooms.invite(room, people);
    const invited = [...people.users.map((u) => `@${u}`), ...people.groups.map((g) => `~${g}`)];
    await ic.record(
      incident,
      'coxswain',
      'invited',
      `${invited.join(' ')}${skipped.length > 0 ? ` (skipped: ${skipped.join(' ')})` : ''}`,
    );
  } catch (error) {
    ic.deps.log.warn({ err: error, room: room.name }, 'could not invite the on-call people');
    await ic.record(incident, 'coxswain', 'invited', `inviting failed: ${errorText(error)}`);
  }
}

/** The notice in the originating channel or thread that links to the room. */
export function openedNotice(ic: IncidentContext, incident: Incident): Message {
  return {
    text: `Incident room ${ic.mention(incident.channelName)} is open: **${sevLabel(incident.severity)}** ${escapeChat(incident.title)} (commander @${incident.commander}). Join it for updates.`,
    severity: messageSeverity(incident.severity),
  };
}

async function createRoom(
  ic: IncidentContext,
  rooms: RoomsCapability,
  date: string,
  title: string,
): Promise<Room> {
  const taken = new Set(
    (await ic.deps.store.listIncidents({}))
      .filter((i) => i.platform === ic.deps.chat.platform)
      .map((i) => i.channelName),
  );
  // Another replica, or a person, may have taken the name in between: try the next one.
  for (let attempt = 0; attempt < 20; attempt++) {
    const name = roomName(date, title, taken);
    try {
      return await rooms.create(name, {
        private: ic.deps.incidents.private,
        purpose: `Incident: ${title}`,
      });
    } catch (error) {
      if (!(error instanceof RoomExistsError) && (error as { code?: unknown }).code !== 'room-exists')
        throw error;
      taken.add(name);
    }
  }
  throw new IncidentError('Could not find a free room name for this incident; try a more specific title.');
}

async function snapshot(ic: IncidentContext, cluster: string | undefined): Promise<string> {
  if (!cluster) return 'No cluster was given (`--cluster`), so there is no health snapshot.';
  const source = ic.deps.healthSnapshot?.();
  if (!source) return 'A health snapshot is not available: this coxswain has no health engine configured.';
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      source(cluster),
      new Promise<string>((_, reject) => {
        timer = setTimeout(() => reject(new Error('no answer within 10s')), HEALTH_TIMEOUT_MS);
      }),
    ]);
  } catch (error) {
    return `The health snapshot failed: ${inlineCode(errorText(error))}.`;
  } finally {
    clearTimeout(timer);
  }
}

/** Tells the announce channel (config `incidents.announceChannel`) about a severe incident. */
export async function announce(ic: IncidentContext, incident: Incident): Promise<void> {
  const channel = ic.deps.incidents.announceChannel;
  if (!channel) return;
  try {
    const destination = await ic.deps.chat.resolveChannel(channel);
    await ic.deps.chat.post(destination, {
      title: `${sevLabel(incident.severity)} incident: ${escapeChat(incident.title)}`,
      text: `Opened by @${incident.createdBy}${incident.cluster ? ` on cluster ${escapeChat(incident.cluster)}` : ''}. Room: ${ic.mention(incident.channelName)}; commander @${incident.commander}.`,
      severity: messageSeverity(incident.severity),
    });
    await ic.record(incident, 'coxswain', 'announced', `in #${channel}`);
  } catch (error) {
    ic.deps.log.warn({ err: error, channel }, 'could not announce the incident');
  }
}

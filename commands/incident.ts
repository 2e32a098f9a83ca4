import { alertsOfPost } from '../src/alerts/post-alerts.js';
import { postIdOfLink } from '../src/incidents/alert-reference.js';
import { IncidentError } from '../src/incidents/context.js';
import { type IncidentFormInput, incidentDialog } from '../src/incidents/open-dialog.js';
import { DNS1123_LABEL } from '../src/kube/names.js';
import type { CommandContext, CommandGroup, OptionSpec } from '../src/router/spec.js';
import type { Incident } from '../src/store/store.js';
import { inlineCode } from '../src/text/escape.js';
import { isStructured } from '../src/text/structured.js';
import { clusterOption, outputOption, replyListing } from './options.js';

const sevChoices = ['1', '2', '3', '4'] as const;
/** How long the incident form may stay open before its submission is refused. */
const INCIDENT_FORM_TTL_MS = 30 * 60_000;

/** Room commands act on the room they are typed in, or on the incident this names. */
const idOption: OptionSpec = {
  type: 'number',
  description: 'the incident number (see `incident list`), when not typed in its room',
  placeholder: 'N',
};

export const incident: CommandGroup = {
  name: 'incident',
  summary: 'on-call incident rooms: open, run, resolve',
  commands: [
    {
      group: 'incident',
      name: 'open',
      summary: 'open an incident room and invite the on-call people',
      positionals: [
        // Optional where the chat has forms: without it, Mattermost asks for it in a dialog.
        {
          name: 'title',
          description: 'what is wrong, in a few words (left out on Mattermost: a form asks)',
          variadic: true,
        },
      ],
      options: {
        sev: {
          type: 'string',
          description: 'severity, 1 (worst) to 4',
          choices: sevChoices,
          placeholder: '1-4',
        },
        cluster: clusterOption,
      },
      permission: 'incident:write',
      visibility: 'in_channel',
      examples: ['incident open "postgres failover loop" --sev 2 --cluster infra'],
      run: (ctx) =>
        guard(ctx, async (engine) => {
          const trigger = ctx.invocation.trigger;
          if (ctx.args.title === undefined && trigger && ctx.services.dialogs) {
            const form: IncidentFormInput = {
              clusters: ctx.services.config.clusters.map((c) => c.name),
              defaultSeverity: ctx.services.config.incidents.defaultSeverity,
              expiresAt: ctx.services.now() + INCIDENT_FORM_TTL_MS,
            };
            if (ctx.args.sev !== undefined) form.severity = Number(ctx.args.sev);
            if (typeof ctx.args.cluster === 'string') form.cluster = ctx.args.cluster;
            await ctx.services.dialogs.open(trigger, incidentDialog(form));
            return;
          }
          const request: Parameters<typeof engine.open>[0] = {
            title: words(ctx.args.title),
            by: ctx.user.username,
            origin: { channelId: ctx.invocation.channel.id, channelName: ctx.invocation.channel.name },
          };
          if (ctx.args.sev !== undefined) request.severity = Number(ctx.args.sev);
          if (typeof ctx.args.cluster === 'string') request.cluster = ctx.args.cluster;
          const { incident } = await engine.open(request);
          // In the channel it was typed in: the link from here to the room.
          await ctx.reply(engine.openedNotice(incident));
        }),
    },
    {
      group: 'incident',
      name: 'status',
      summary: "this room's incident: state, people, timeline",
      options: { id: idOption },
      permission: 'incident:list',
      run: (ctx) =>
        guard(ctx, async (engine) => {
          await ctx.reply(await engine.status(await target(ctx, false)));
        }),
    },
    {
      group: 'incident',
      name: 'note',
      summary: 'add a timeline entry',
      positionals: [{ name: 'text', description: 'the note', required: true, variadic: true }],
      options: { id: idOption },
      permission: 'incident:write',
      run: (ctx) =>
        guard(ctx, async (engine) => {
          const incident = await target(ctx, true);
          await engine.note(incident, ctx.user.username, words(ctx.args.text));
          await done(ctx, incident, 'Noted');
        }),
    },
    {
      group: 'incident',
      name: 'assign',
      summary: 'give someone a role in the incident',
      positionals: [{ name: 'user', description: '@someone', required: true }],
      options: {
        role: {
          type: 'string',
          description: 'their role',
          required: true,
          choices: ['commander', 'comms'],
          placeholder: 'R',
        },
        id: idOption,
      },
      permission: 'incident:write',
      run: (ctx) =>
        guard(ctx, async (engine) => {
          const incident = await target(ctx, true);
          const role = ctx.args.role === 'comms' ? 'comms' : 'commander';
          await engine.assign(incident, ctx.user.username, String(ctx.args.user), role);
          await done(ctx, incident, 'Assigned');
        }),
    },
    {
      group: 'incident',
      name: 'sev',
      summary: 'change the severity',
      positionals: [{ name: 'severity', description: '1 (worst) to 4', required: true, choices: sevChoices }],
      options: { id: idOption },
      permission: 'incident:write',
      run: (ctx) =>
        guard(ctx, async (engine) => {
          const incident = await target(ctx, true);
          await engine.setSeverity(incident, ctx.user.username, Number(ctx.args.severity));
          await done(ctx, incident, 'Severity changed');
        }),
    },
    {
      group: 'incident',
      name: 'link-alert',
      summary: 'link an alert so its state changes post into the room',
      positionals: [
        {
          name: 'alert',
          description: 'an alert fingerprint or a link to its post',
          required: true,
          pattern: { regex: /^\S{1,512}$/, explain: 'must be one word' },
        },
      ],
      options: { id: idOption },
      permission: 'incident:write',
      run: (ctx) =>
        guard(ctx, async (engine) => {
          const incident = await target(ctx, true);
          const reference = String(ctx.args.alert);
          const postId = postIdOfLink(reference);
          const alerts = postId
            ? await alertsOfPost(ctx.services.store, postId)
            : [{ fingerprint: reference, alertname: 'alert' }];
          if (!alerts || alerts.length === 0) {
            await ctx.reply(
              alerts
                ? `The alert post ${inlineCode(postId ?? '')} has no alerts stored; link them by fingerprint.`
                : `No alert post ${inlineCode(postId ?? '')} is known to coxswain: give a link to one of its alert posts, or the alert's fingerprint.`,
            );
            return;
          }
          let linked = 0;
          for (const alert of alerts)
            if (await engine.linkAlert(incident, ctx.user.username, alert)) linked++;
          if (linked === 0) await ctx.reply(`That alert is linked to incident ${incident.id} already.`);
          else await done(ctx, incident, 'Linked');
        }),
    },
    {
      group: 'incident',
      name: 'resolve',
      summary: 'resolve: post the timeline and a postmortem skeleton, archive the room later',
      positionals: [
        { name: 'summary', description: 'what happened, in a sentence', required: true, variadic: true },
      ],
      options: { id: idOption },
      permission: 'incident:write',
      visibility: 'in_channel',
      run: (ctx) =>
        guard(ctx, async (engine) => {
          const incident = await target(ctx, true);
          await engine.resolve(incident, ctx.user.username, words(ctx.args.summary));
          await done(ctx, incident, 'Resolved');
        }),
    },
    {
      group: 'incident',
      name: 'list',
      summary: 'incidents across rooms',
      options: {
        open: { type: 'boolean', description: 'only open ones' },
        cluster: { ...clusterOption, pattern: DNS1123_LABEL },
        output: outputOption(),
      },
      permission: 'incident:list',
      run: (ctx) =>
        guard(ctx, async (engine) => {
          const query: { open?: boolean; cluster?: string } = { open: ctx.args.open === true };
          if (typeof ctx.args.cluster === 'string') query.cluster = ctx.args.cluster;
          const incidents = isStructured(ctx.args.output)
            ? (await ctx.services.store.listIncidents(query.open ? { state: 'open' } : {})).filter(
                (i) => query.cluster === undefined || i.cluster === query.cluster,
              )
            : [];
          await replyListing(
            ctx,
            () => incidents,
            () => engine.list(query),
          );
        }),
    },
  ],
};

type Engine = NonNullable<CommandContext['services']['incidents']>;

/** Runs with the engine, answering the user's own mistakes as sentences rather than failures. */
async function guard(ctx: CommandContext, work: (engine: Engine) => Promise<void>): Promise<void> {
  const engine = ctx.services.incidents;
  if (!engine) {
    await ctx.reply('Incidents are not set up in this coxswain; nothing was done.');
    return;
  }
  try {
    await work(engine);
  } catch (error) {
    if (!(error instanceof IncidentError)) throw error;
    await ctx.invocation.responder.reply({ text: error.message }, 'ephemeral');
  }
}

function target(ctx: CommandContext, mustBeOpen: boolean): Promise<Incident> {
  const id = typeof ctx.args.id === 'number' ? ctx.args.id : undefined;
  const engine = ctx.services.incidents as Engine;
  return engine.target(ctx.invocation.platform, ctx.invocation.channel.id, id, mustBeOpen);
}

/** In the room the change is already posted for all to see; elsewhere, say where it went. */
async function done(ctx: CommandContext, incident: Incident, what: string): Promise<void> {
  if (incident.channelId === ctx.invocation.channel.id) return;
  await ctx.invocation.responder.reply(
    {
      text: `${what}: see ${(ctx.services.incidents as Engine).mention(incident.channelName)} (incident ${incident.id}).`,
    },
    'ephemeral',
  );
}

const words = (value: unknown): string => (Array.isArray(value) ? value.join(' ') : String(value ?? ''));

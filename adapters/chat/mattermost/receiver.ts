/**
 * What Mattermost posts to coxswain's HTTP hooks, each checked before anything runs:
 * - `/ops …` (the trigger is configurable) as a form-encoded POST to COMMAND_HOOK, checked
 *   against the token Mattermost generated when the bot registered the command in each
 *   configured team (verify-request.ts); acknowledged at once, answered later through
 *   `response_url` (ephemeral) or a bot post (in channel);
 * - button clicks as a JSON POST to ACTION_HOOK; the action's context carries the ActionSigner
 *   token, verified first, and the click runs as the clicking user (action-ack.ts answers with
 *   `update` / `ephemeral_text` while the window lasts);
 * - dialog submissions as a JSON POST to DIALOG_HOOK; the dialog's state is a signed token bound
 *   to the person and channel it was opened for (dialog.ts), and field errors go back on the
 *   response for Mattermost to show.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Logger } from '../../../src/log.js';
import type { Message } from '../../../src/message.js';
import type {
  ActionEvent,
  ChatUser,
  Destination,
  DialogAnswer,
  DialogSubmission,
  DialogTrigger,
  InboundHandlers,
  Invocation,
  PostRef,
  Responder,
} from '../../../src/ports.js';
import type { ActionSigner } from '../../../src/security/signing.js';
import { escapeChat } from '../../../src/text/escape.js';
import { ActionAck } from './action-ack.js';
import { type DialogRequest, verifySubmission } from './dialog.js';
import { type RenderedPost, renderText } from './render.js';
import type { MattermostRest } from './rest-client.js';
import type { CommandTokens } from './verify-request.js';

export const COMMAND_HOOK = '/hooks/mattermost/command';
export const ACTION_HOOK = '/hooks/mattermost/action';
export const DIALOG_HOOK = '/hooks/mattermost/dialog';

/** The form Mattermost posts to a custom slash command's URL. */
export interface CommandForm {
  channel_id?: string;
  channel_name?: string;
  command?: string;
  response_url?: string;
  root_id?: string;
  team_domain?: string;
  team_id?: string;
  text?: string;
  token?: string;
  trigger_id?: string;
  user_id?: string;
  user_name?: string;
}

/** The JSON Mattermost posts to an integration action's URL. */
export interface ActionRequest {
  user_id?: string;
  user_name?: string;
  channel_id?: string;
  channel_name?: string;
  team_id?: string;
  post_id?: string;
  trigger_id?: string;
  context?: { action?: unknown; token?: unknown };
}

export interface ReceiverDeps {
  platform: string;
  rest: MattermostRest;
  tokens: CommandTokens;
  signer: ActionSigner;
  log: Logger;
  now: () => number;
  /** How long a button click may take to answer on the HTTP response itself. */
  actionWindowMs: number;
  /** How long a dialog submission may take to answer (field errors) on the HTTP response. */
  dialogWindowMs: number;
  /** Longest wait for the response_url answer. */
  requestTimeoutMs: number;
  /** The router's entry points, once the adapter has started (undefined while stopped). */
  handlers: () => InboundHandlers | undefined;
  chatUser: (id: string, username: string) => Promise<ChatUser>;
  post: (destination: Destination, message: Message) => Promise<PostRef>;
  update: (ref: PostRef, message: Message) => Promise<void>;
  render: (message: Message) => RenderedPost;
}

export class MattermostReceiver {
  /** Hook requests refused (bad command token, bad button token, bad form); logged and counted. */
  readonly refused = { commands: 0, actions: 0, dialogs: 0 };

  constructor(private readonly deps: ReceiverDeps) {}

  /** Adds the command, action and dialog hook routes. Call before the HTTP server listens. */
  registerRoutes(http: FastifyInstance): void {
    const { log, signer } = this.deps;
    void http.register(async (scope) => {
      scope.addContentTypeParser(
        'application/x-www-form-urlencoded',
        { parseAs: 'string', bodyLimit: 64 * 1024 },
        (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(String(body)))),
      );
      scope.post(COMMAND_HOOK, async (request, reply) => {
        const form = (request.body ?? {}) as CommandForm;
        const auth = request.headers.authorization;
        const refused = this.deps.tokens.check(form.token, typeof auth === 'string' ? auth : undefined);
        if (refused) {
          this.refused.commands++;
          log.warn({ refused, user: form.user_name }, 'mattermost command request refused');
          return reply.code(401).send({ text: `Refused: ${refused}.` });
        }
        if (!form.user_id || !form.channel_id)
          return reply.code(400).send({ text: 'user_id and channel_id are required' });
        void this.dispatchCommand(form).catch((error: unknown) =>
          log.error({ err: error, user: form.user_name }, 'mattermost command failed'),
        );
        // Acknowledged at once; an empty ephemeral answer makes Mattermost post nothing.
        return reply.send({ response_type: 'ephemeral', text: '' });
      });
      scope.post(ACTION_HOOK, async (request, reply) => {
        const body = (request.body ?? {}) as ActionRequest;
        const token = typeof body.context?.token === 'string' ? body.context.token : '';
        const verified = signer.verify(token, this.deps.now());
        if (
          'refused' in verified ||
          verified.action !== body.context?.action ||
          !body.user_id ||
          !body.channel_id
        ) {
          const why = 'refused' in verified ? verified.refused : 'action mismatch';
          this.refused.actions++;
          log.warn({ why, user: body.user_name }, 'mattermost button refused');
          return reply.code(403).send({ ephemeral_text: `That button is not valid (${why}).` });
        }
        const ack = new ActionAck(this.deps.actionWindowMs);
        const event = await this.actionEvent(body, verified.action, verified.payload, ack);
        const work = this.deps.handlers()?.onAction(event) ?? Promise.resolve();
        void work
          .catch((error: unknown) => log.error({ err: error }, 'mattermost action failed'))
          .finally(() => ack.send());
        return reply.send(await ack.response);
      });
      scope.post(DIALOG_HOOK, async (request, reply) => {
        const body = request.body;
        if (body === null || typeof body !== 'object' || Array.isArray(body))
          return reply.code(400).send({ error: 'expected a JSON dialog submission' });
        // Refusals answer 200 with `error`: Mattermost shows only that to the person.
        return reply.send(await this.submitDialog(body as DialogRequest));
      });
    });
  }

  private async dispatchCommand(form: CommandForm): Promise<void> {
    const { platform } = this.deps;
    const channel = { id: form.channel_id as string, name: form.channel_name ?? (form.channel_id as string) };
    const root = form.root_id || undefined;
    const here: Destination = root ? { channelId: channel.id, threadId: root } : { channelId: channel.id };
    const responseUrl = form.response_url;
    const responder: Responder = {
      reply: async (message, visibility) => {
        const buttons = (message.buttons?.length ?? 0) > 0;
        // Ephemeral posts cannot be updated or clicked through the API, so ones with buttons are posted.
        if (visibility === 'ephemeral' && !buttons && responseUrl) {
          await this.respond(responseUrl, message, 'ephemeral');
          return undefined;
        }
        return this.deps.post(here, message);
      },
      replyInThread: (message) => this.deps.post(here, message),
      update: (ref, message) => this.deps.update(ref, message),
    };
    const invocation: Invocation = {
      platform,
      user: await this.deps.chatUser(form.user_id as string, form.user_name ?? ''),
      channel,
      text: (form.text ?? '').trim(),
      requestId: randomUUID(),
      responder,
    };
    if (form.trigger_id)
      invocation.trigger = {
        platform,
        id: form.trigger_id,
        userId: invocation.user.id,
        channelId: channel.id,
      };
    await this.deps.handlers()?.onCommand(invocation);
  }

  /** Answers a slash command through its response_url (valid 30 minutes, a few uses). */
  private async respond(
    responseUrl: string,
    message: Message,
    type: 'ephemeral' | 'in_channel',
  ): Promise<void> {
    const rendered = this.deps.render(message);
    const body: Record<string, unknown> = { response_type: type, text: rendered.message };
    if (rendered.props) body.attachments = rendered.props.attachments;
    const response = await fetch(responseUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(this.deps.requestTimeoutMs),
    });
    if (!response.ok) throw new Error(`Mattermost refused the response_url answer (${response.status})`);
  }

  private async actionEvent(
    body: ActionRequest,
    action: string,
    payload: Record<string, string>,
    ack: ActionAck,
  ): Promise<ActionEvent> {
    const { platform } = this.deps;
    const channelId = body.channel_id as string;
    const postId = body.post_id;
    const thread: Destination = postId ? { channelId, threadId: postId } : { channelId };
    const event: ActionEvent = {
      platform,
      user: await this.deps.chatUser(body.user_id as string, body.user_name ?? ''),
      channel: { id: channelId, name: body.channel_name ?? channelId },
      action,
      payload,
      requestId: randomUUID(),
      responder: {
        reply: async (message, visibility) => {
          const buttons = (message.buttons?.length ?? 0) > 0;
          if (visibility === 'ephemeral' && !buttons && ack.offerEphemeral(renderText(message)))
            return undefined;
          return this.deps.post(visibility === 'ephemeral' ? thread : { channelId }, message);
        },
        replyInThread: (message) => this.deps.post(thread, message),
        update: async (ref, message) => {
          const rendered = this.deps.render(message);
          // Without props Mattermost keeps the old ones, buttons included.
          const update = { message: rendered.message, props: rendered.props ?? { attachments: [] } };
          if (ref.postId === postId && ack.offerUpdate(update)) return;
          await this.deps.update(ref, message);
        },
      },
    };
    if (postId) event.post = { platform, channelId, postId };
    if (body.trigger_id) {
      const trigger: DialogTrigger = {
        platform,
        id: body.trigger_id,
        userId: event.user.id,
        channelId,
      };
      if (postId) trigger.postId = postId;
      event.trigger = trigger;
    }
    return event;
  }

  /** A verified submission: runs its handler as the submitter and answers within the window. */
  private async submitDialog(body: DialogRequest): Promise<DialogAnswer> {
    const { platform, log } = this.deps;
    const verified = verifySubmission(body, this.deps.signer, this.deps.now());
    if ('refused' in verified) {
      this.refused.dialogs++;
      log.warn({ why: verified.refused, user: body.user_id }, 'mattermost dialog refused');
      const again =
        verified.refused === 'expired' ? 'it has expired' : `it is not valid (${verified.refused})`;
      return { error: `coxswain refused this form: ${again}. Press the button again for a new one.` };
    }
    // Mattermost only says so when asked (notify_on_cancel); a cancel never runs anything.
    if (verified.cancelled) return {};
    const handlers = this.deps.handlers();
    if (!handlers?.onDialogSubmit) return { error: 'coxswain is restarting; submit again in a moment.' };
    const { channelId, postId } = verified.binding;
    const thread: Destination = postId ? { channelId, threadId: postId } : { channelId };
    const submission: DialogSubmission = {
      platform,
      user: await this.deps.chatUser(verified.userId, ''),
      channel: { id: channelId, name: await this.channelName(channelId) },
      action: verified.action,
      payload: verified.payload,
      values: verified.values,
      requestId: randomUUID(),
      responder: {
        // A dialog's answer cannot carry a message and bots cannot post ephemeral messages by
        // default, so what a handler says goes to the thread of the post the dialog came from.
        reply: (message) => this.deps.post(thread, message),
        replyInThread: (message) => this.deps.post(thread, message),
        update: (ref, message) => this.deps.update(ref, message),
      },
    };
    if (postId) submission.post = { platform, channelId, postId };
    const work = handlers.onDialogSubmit(submission);
    const late = Symbol('late');
    let timer: ReturnType<typeof setTimeout> | undefined;
    const answer = await Promise.race([
      work,
      new Promise<typeof late>((resolve) => {
        timer = setTimeout(() => resolve(late), this.deps.dialogWindowMs);
      }),
    ]).finally(() => clearTimeout(timer));
    if (answer === late) {
      // Too slow for Mattermost's timeout: close the dialog; a late error goes to the thread.
      void work
        .then((result) => {
          const text = result?.error ?? (result?.errors ? Object.values(result.errors).join(' ') : undefined);
          if (text)
            return this.deps
              .post(thread, { text: `@${submission.user.username}: ${escapeChat(text)}` })
              .then(() => undefined);
          return undefined;
        })
        .catch((error: unknown) => log.error({ err: error }, 'mattermost dialog failed'));
      return {};
    }
    return answer ?? {};
  }

  private async channelName(channelId: string): Promise<string> {
    try {
      return (await this.deps.rest.getChannel(channelId)).name;
    } catch {
      return channelId;
    }
  }
}

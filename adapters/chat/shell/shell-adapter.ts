/**
 * The shell adapter: a complete chat in a terminal, the embedded default. The local user types
 * commands as in chat; replies print as text, buttons as numbered choices (typing the number
 * clicks), and every post the bot makes to a channel prints as `[#channel] text`. Reading from
 * a pipe, it runs each line in order and ends at end of input.
 */
import { randomUUID } from 'node:crypto';
import { createInterface, type Interface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { Message } from '../../../src/message.js';
import type {
  ChatChannel,
  ChatPort,
  ChatUser,
  Destination,
  InboundHandlers,
  PostRef,
  Responder,
  Room,
  RoomsCapability,
} from '../../../src/ports.js';
import { RoomExistsError } from '../../../src/ports.js';
import type { ActionSigner } from '../../../src/security/signing.js';
import { renderText } from './render-text.js';

const WEEK_MS = 7 * 86_400_000;

export interface ShellOptions {
  input: Readable;
  output: Writable;
  /** A person at a terminal: prompt and history. Otherwise lines are read as a script. */
  interactive: boolean;
  trigger: string;
  signer: ActionSigner;
  username?: string;
  channel?: string;
  now?: () => number;
}

export class ShellAdapter implements ChatPort {
  readonly platform = 'shell';
  private readline?: Interface;
  private ready = false;
  private nextPost = 1;
  private nextButton = 1;
  /** Each numbered choice: its signed action and the post it belongs to. */
  private readonly buttons = new Map<number, { token: string; post: PostRef }>();
  private queue: Promise<void> = Promise.resolve();
  private readonly user: ChatUser;
  private channel: ChatChannel;
  /** Rooms made with `rooms.create`, by name: the shell plays a platform that keeps names unique. */
  private readonly madeRooms = new Map<string, { archived: boolean }>();
  private resolveEnded!: () => void;
  /** Resolves when the input ends and every line has been handled. */
  readonly ended = new Promise<void>((resolve) => {
    this.resolveEnded = resolve;
  });

  constructor(private readonly options: ShellOptions) {
    const username = options.username ?? 'local';
    this.user = { id: username, username, groups: [] };
    const channel = options.channel ?? 'shell';
    this.channel = { id: channel, name: channel };
  }

  async start(handlers: InboundHandlers): Promise<void> {
    const { input, output, interactive } = this.options;
    const readline = createInterface({
      input,
      output: interactive ? output : undefined,
      terminal: interactive,
      historySize: 500,
      prompt: `${this.options.trigger}> `,
    });
    this.readline = readline;
    this.ready = true;
    if (interactive) {
      this.write(
        `coxswain shell: you are @${this.user.username}. Type \`help\` (or \`${this.options.trigger} help\`), Ctrl-D to leave.`,
      );
      readline.prompt();
    }
    readline.on('line', (line) => {
      this.queue = this.queue.then(async () => {
        try {
          await this.handleLine(line, handlers);
        } catch (error) {
          // One bad line must not end the session; the router answers its own failures, so this is a bug.
          this.write(`internal error: ${error instanceof Error ? error.message : String(error)}`);
        }
        if (interactive && this.ready) readline.prompt();
      });
    });
    readline.on('close', () => {
      this.ready = false;
      void this.queue.then(() => this.resolveEnded());
    });
  }

  async stop(): Promise<void> {
    this.ready = false;
    this.readline?.close();
    await this.queue;
  }

  isReady(): boolean {
    return this.ready;
  }

  async resolveChannel(name: string): Promise<Destination> {
    const channel = name.replace(/^#/, '');
    return { channelId: channel };
  }

  async post(destination: Destination, message: Message): Promise<PostRef> {
    this.assertOpen(destination);
    const ref = this.ref(destination);
    this.write(this.prefixed(ref, destination, message));
    return ref;
  }

  async update(ref: PostRef, message: Message): Promise<void> {
    this.write(this.prefixed(ref, { channelId: ref.channelId }, message, `(updated post ${ref.postId}) `));
  }

  /** Incident rooms, printed as they happen: `[#inc-…] (room created, private)`. */
  readonly rooms: RoomsCapability = {
    create: async (name, options): Promise<Room> => {
      if (this.madeRooms.has(name)) throw new RoomExistsError(name);
      this.madeRooms.set(name, { archived: false });
      this.write(`[#${name}] (room created, ${options.private ? 'private' : 'public'})`);
      return { channelId: name, name };
    },
    invite: async (room, people) => {
      this.assertOpen(room);
      const names = [...people.users.map((u) => `@${u}`), ...people.groups.map((g) => `~${g}`)];
      if (names.length > 0) this.write(`[#${room.channelId}] (invited ${names.join(' ')})`);
      return { skipped: [] };
    },
    pin: async (ref) => {
      this.write(`[#${ref.channelId}] (pinned post ${ref.postId})`);
    },
    archive: async (room) => {
      const made = this.madeRooms.get(room.channelId);
      if (made) made.archived = true;
      this.write(`[#${room.channelId}] (room archived)`);
    },
    attach: async (room, file, message) => {
      const ref = await this.post(room, message);
      this.write(
        `[#${room.channelId}] (file ${file.name}, ${file.mimeType}, ${Buffer.byteLength(file.content)} bytes)\n--- ${file.name} ---\n${file.content}\n--- end of ${file.name} ---`,
      );
      return ref;
    },
  };

  private assertOpen(destination: Destination): void {
    if (this.madeRooms.get(destination.channelId)?.archived)
      throw new Error(`#${destination.channelId} is archived; nothing can be posted there`);
  }

  private async handleLine(raw: string, handlers: InboundHandlers): Promise<void> {
    const line = raw.trim();
    if (line === '') return;
    // `/join #room` moves the shell user to another channel, as the platforms' own /join does.
    const join = /^\/join\s+#?([a-z0-9][a-z0-9._-]{0,63})$/i.exec(line);
    if (join) {
      const name = (join[1] as string).toLowerCase();
      this.channel = { id: name, name };
      this.write(`(you are now in #${name})`);
      return;
    }
    const requestId = randomUUID();
    const responder = this.responder();
    if (/^\d+$/.test(line)) {
      await this.click(Number(line), requestId, responder, handlers);
      return;
    }
    const { trigger } = this.options;
    let text = line;
    if (line === trigger || line.startsWith(`${trigger} `)) text = line.slice(trigger.length).trim();
    else if (line.startsWith('/')) {
      this.write(`Commands start with ${trigger}, e.g. \`${trigger} help\`.`);
      return;
    }
    await handlers.onCommand({
      platform: this.platform,
      user: this.user,
      channel: this.channel,
      text,
      requestId,
      responder,
    });
  }

  private async click(
    number: number,
    requestId: string,
    responder: Responder,
    handlers: InboundHandlers,
  ): Promise<void> {
    const button = this.buttons.get(number);
    if (!button) {
      this.write(`There is no choice [${number}].`);
      return;
    }
    // The shell goes through the same signature check as a chat platform's callback.
    const verified = this.options.signer.verify(button.token, (this.options.now ?? Date.now)());
    if ('refused' in verified) {
      this.write(`Choice [${number}] is no longer valid (${verified.refused}).`);
      return;
    }
    await handlers.onAction({
      platform: this.platform,
      user: this.user,
      channel: this.channel,
      action: verified.action,
      payload: verified.payload,
      post: button.post,
      requestId,
      responder,
    });
  }

  private responder(): Responder {
    const here: Destination = { channelId: this.channel.id };
    return {
      reply: async (message, visibility) => {
        const ref = this.ref(here);
        this.write(
          visibility === 'in_channel' ? this.prefixed(ref, here, message) : this.render(ref, message),
        );
        return ref;
      },
      replyInThread: async (message) => {
        const thread = { ...here, threadId: 'thread' };
        const ref = this.ref(thread);
        this.write(this.prefixed(ref, thread, message));
        return ref;
      },
      update: (ref, message) => this.update(ref, message),
    };
  }

  private prefixed(ref: PostRef, destination: Destination, message: Message, note = ''): string {
    const where = destination.threadId ? `[#${destination.channelId} ↳] ` : `[#${destination.channelId}] `;
    return `${where}${note}${this.render(ref, message)}`;
  }

  private render(post: PostRef, message: Message): string {
    const now = (this.options.now ?? Date.now)();
    const numbers = (message.buttons ?? []).map((button) => {
      const number = this.nextButton++;
      const token = this.options.signer.sign({
        action: button.action,
        payload: button.payload,
        expiresAt: button.expiresAt ?? now + WEEK_MS,
      });
      this.buttons.set(number, { token, post });
      return number;
    });
    return renderText(message, numbers);
  }

  private ref(destination: Destination): PostRef {
    const ref: PostRef = {
      platform: this.platform,
      channelId: destination.channelId,
      postId: String(this.nextPost++),
    };
    if (destination.threadId) ref.threadId = destination.threadId;
    return ref;
  }

  private write(text: string): void {
    this.options.output.write(`${text}\n`);
  }
}

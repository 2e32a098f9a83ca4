/**
 * The coxswain Rocket.Chat App. Rocket.Chat lets only Apps-Engine apps register slash commands
 * and receive UIKit button clicks, so this App is the bot's front door: it registers `/ops`,
 * forwards each invocation and each block action to the bot over HTTP, signed with the secret
 * the two share (HMAC-SHA256 over `<timestamp>.<body>`, as adapters/chat/rocketchat/hook-signature.ts
 * verifies), and shows the bot's private notices through its `notify` endpoint. It holds no
 * logic of its own: authorization and everything else happen in the bot.
 *
 * One file, no relative imports: the App is compiled by apps-cli with TypeScript 4.9, apart from
 * the bot.
 */
import {
  IAppAccessors,
  IConfigurationExtend,
  IHttp,
  ILogger,
  IModify,
  IPersistence,
  IRead,
} from '@rocket.chat/apps-engine/definition/accessors';
import {
  ApiEndpoint,
  ApiSecurity,
  ApiVisibility,
  IApiEndpointInfo,
  IApiRequest,
  IApiResponse,
} from '@rocket.chat/apps-engine/definition/api';
import { App } from '@rocket.chat/apps-engine/definition/App';
import { IAppInfo } from '@rocket.chat/apps-engine/definition/metadata';
import { SettingType } from '@rocket.chat/apps-engine/definition/settings';
import { ISlashCommand, SlashCommandContext } from '@rocket.chat/apps-engine/definition/slashcommands';
import {
  IUIKitInteractionHandler,
  IUIKitResponse,
  UIKitBlockInteractionContext,
} from '@rocket.chat/apps-engine/definition/uikit';

// The App sandbox allows `crypto`; the App has no @types/node.
declare function require(name: 'crypto'): {
  createHmac(algorithm: string, key: string): { update(data: string): { digest(encoding: 'hex'): string } };
};

const SETTING_URL = 'coxswain_url';
const SETTING_SECRET = 'coxswain_secret';
const MAX_SKEW_SECONDS = 300;

export class CoxswainApp extends App implements IUIKitInteractionHandler {
  constructor(info: IAppInfo, logger: ILogger, accessors: IAppAccessors) {
    super(info, logger, accessors);
  }

  protected async extendConfiguration(configuration: IConfigurationExtend): Promise<void> {
    await configuration.settings.provideSetting({
      id: SETTING_URL,
      type: SettingType.STRING,
      packageValue: '',
      required: true,
      public: false,
      i18nLabel: 'coxswain URL (where the bot serves /hooks/rocketchat/*)',
    });
    await configuration.settings.provideSetting({
      id: SETTING_SECRET,
      type: SettingType.PASSWORD,
      packageValue: '',
      required: true,
      public: false,
      i18nLabel: 'Bot secret (chat.rocketchat.appSecret in the bot config)',
    });
    await configuration.slashCommands.provideSlashCommand(new OpsCommand(this));
    await configuration.api.provideApi({
      visibility: ApiVisibility.PUBLIC,
      security: ApiSecurity.UNSECURE,
      endpoints: [new NotifyEndpoint(this)],
    });
  }

  async executeBlockActionHandler(
    context: UIKitBlockInteractionContext,
    read: IRead,
    http: IHttp,
    _persistence: IPersistence,
    modify: IModify,
  ): Promise<IUIKitResponse> {
    const data = context.getInteractionData();
    const status = await this.forward(read, http, '/hooks/rocketchat/action', {
      actionId: data.actionId,
      value: data.value ?? '',
      user: { id: data.user.id, username: data.user.username },
      room: { id: data.room?.id ?? '', name: data.room?.slugifiedName ?? data.room?.displayName },
      messageId: data.message?.id,
      triggerId: data.triggerId,
    });
    if (status >= 300 && data.room) {
      // 403: the button's signature or expiry did not check out; say so rather than do nothing.
      const text =
        status === 403
          ? 'That button is no longer valid (expired or not from coxswain). Run the command again.'
          : `coxswain did not take that click (HTTP ${status}); try again in a moment.`;
      const notice = modify.getCreator().startMessage().setRoom(data.room).setText(text).getMessage();
      await modify.getNotifier().notifyUser(data.user, notice);
    }
    return context.getInteractionResponder().successResponse();
  }

  /** POSTs a signed JSON body to the bot; answers whether the bot took it. */
  async forward(read: IRead, http: IHttp, path: string, payload: object): Promise<number> {
    const { url, secret } = await this.settings(read);
    const content = JSON.stringify(payload);
    const response = await http.post(`${url.replace(/\/+$/, '')}${path}`, {
      content,
      headers: { 'content-type': 'application/json', ...sign(secret, content, Date.now()) },
    });
    if (response.statusCode >= 300) this.getLogger().warn(`coxswain answered ${path} with ${response.statusCode}`);
    return response.statusCode;
  }

  async settings(read: IRead): Promise<{ url: string; secret: string }> {
    const settings = read.getEnvironmentReader().getSettings();
    return {
      url: String(await settings.getValueById(SETTING_URL)),
      secret: String(await settings.getValueById(SETTING_SECRET)),
    };
  }
}

class OpsCommand implements ISlashCommand {
  command = 'ops';
  i18nParamsExample = 'health';
  i18nDescription = 'coxswain: drive the platform (try /ops help)';
  providesPreview = false;

  constructor(private readonly app: CoxswainApp) {}

  async executor(context: SlashCommandContext, read: IRead, modify: IModify, http: IHttp): Promise<void> {
    const sender = context.getSender();
    const room = context.getRoom();
    const status = await this.app.forward(read, http, '/hooks/rocketchat/command', {
      command: this.command,
      text: context.getArguments().join(' '),
      user: { id: sender.id, username: sender.username },
      room: { id: room.id, name: room.slugifiedName ?? room.displayName },
      threadId: context.getThreadId(),
      triggerId: context.getTriggerId(),
    });
    if (status >= 300) {
      const notice = modify
        .getCreator()
        .startMessage()
        .setRoom(room)
        .setText(`coxswain did not take that (HTTP ${status}); check the App's settings and the bot's logs.`)
        .getMessage();
      await modify.getNotifier().notifyUser(sender, notice);
    }
  }
}

/** The bot's private notices: `{userId, roomId, text}`, signed like everything else. */
class NotifyEndpoint extends ApiEndpoint {
  path = 'notify';

  constructor(private readonly coxswain: CoxswainApp) {
    super(coxswain);
  }

  async post(
    request: IApiRequest,
    _endpoint: IApiEndpointInfo,
    read: IRead,
    modify: IModify,
    _http: IHttp,
    _persis: IPersistence,
  ): Promise<IApiResponse> {
    const { secret } = await this.coxswain.settings(read);
    // Apps-Engine hands over the parsed body; the bot signs compact JSON, so re-serialising it
    // gives back the same bytes.
    const raw = typeof request.content === 'string' ? request.content : JSON.stringify(request.content);
    if (!verify(secret, raw, request.headers, Date.now())) return { status: 401, content: { error: 'bad signature' } };
    const body = JSON.parse(raw) as { userId: string; roomId: string; text: string };
    const user = await read.getUserReader().getById(body.userId);
    const room = await read.getRoomReader().getById(body.roomId);
    if (!user || !room) return { status: 404, content: { error: 'no such user or room' } };
    const message = modify.getCreator().startMessage().setRoom(room).setText(body.text).getMessage();
    await modify.getNotifier().notifyUser(user, message);
    return { status: 200, content: { ok: true } };
  }
}

function sign(secret: string, body: string, nowMs: number): Record<string, string> {
  const timestamp = String(Math.floor(nowMs / 1000));
  return {
    'x-coxswain-timestamp': timestamp,
    'x-coxswain-signature': `v1=${mac(secret, timestamp, body)}`,
  };
}

function verify(secret: string, body: string, headers: { [key: string]: string }, nowMs: number): boolean {
  const timestamp = headers['x-coxswain-timestamp'] ?? '';
  const signature = headers['x-coxswain-signature'] ?? '';
  if (!/^\d{1,12}$/.test(timestamp)) return false;
  if (Math.abs(nowMs / 1000 - Number(timestamp)) > MAX_SKEW_SECONDS) return false;
  const expected = `v1=${mac(secret, timestamp, body)}`;
  // Constant-time compare: the sandbox's crypto has no timingSafeEqual guarantee across versions.
  if (expected.length !== signature.length) return false;
  let diff = 0;
  for (let i = 0; i < expected.length; i++) diff |= expected.charCodeAt(i) ^ signature.charCodeAt(i);
  return diff === 0;
}

function mac(secret: string, timestamp: string, body: string): string {
  return require('crypto').createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

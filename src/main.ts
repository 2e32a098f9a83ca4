/**
 * The composition root: the one place that knows every concrete adapter. It reads the config,
 * opens the store, picks the chat adapter, wires the router and the HTTP server, and owns the
 * order of a graceful shutdown.
 */
import type { Readable, Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { AlertmanagerClient } from '../adapters/alertmanager/client.js';
import { ShellAdapter } from '../adapters/chat/shell/shell-adapter.js';
import { allGroups } from '../commands/index.js';
import { registerAlertWebhook } from '../handlers/alertmanager-webhook.js';
import { Inbound } from '../handlers/inbound.js';
import { alertmanagerDirectory, alertsFeature } from './alerts/feature.js';
import type { Role } from './auth/config-schema.js';
import { BindingRoleResolver, FixedRoleResolver } from './auth/roles.js';
import { loadConfig } from './config/load.js';
import type { Config } from './config/schema.js';
import { operationsFeature } from './drills/feature.js';
import { parseDuration } from './duration.js';
import type { Feature, FeatureBase, FeatureHooks } from './feature.js';
import { healthFeature } from './health/feature.js';
import { createHttpServer } from './http/server.js';
import { incidentsFeature } from './incidents/feature.js';
import { leaderFeature } from './leader/feature.js';
import { replicaIdentity } from './leader/identity.js';
import { createLogger, type Logger } from './log.js';
import { createMetrics } from './metrics.js';
import type { ChatPort } from './ports.js';
import { Router } from './router/router.js';
import { checkSharedSigningKey, SigningKeyMismatch } from './security/shared-signing-key.js';
import { ActionSigner } from './security/signing.js';
import type { Services } from './services.js';
import { openStore } from './store/open-store.js';
import type { Store } from './store/store.js';

export interface StartOptions {
  configPath?: string;
  /** Use the shell adapter even when a chat platform is configured. */
  shell?: boolean;
  role?: Role;
  /** Overrides http.port; in the shell, HTTP is served only when a port is given. */
  port?: number;
  input?: Readable;
  output?: Writable;
  interactive?: boolean;
  env?: NodeJS.ProcessEnv;
  logger?: Logger;
}

export interface Bot {
  config: Config;
  store: Store;
  router: Router;
  chat: ChatPort;
  http?: FastifyInstance;
  /** The address the HTTP server listens on, when it does. */
  url?: string;
  /** Resolves when the bot has stopped by itself (the shell's input ended). */
  done: Promise<void>;
  stop(): Promise<void>;
}

export class StartError extends Error {}

/** The features in start order, and the engines they built for the command handlers. */
interface Assembly {
  features: Feature[];
  engines: Omit<Services, 'config' | 'store' | 'groups' | 'now' | 'dialogs' | 'upload'>;
}

/**
 * The features, each built from the engines of those it depends on (passed as arguments, so none
 * waits for another to start), then listed in start order. Each issue's feature is added here and
 * nowhere else. The Kubernetes adapters load @kubernetes/client-node (KubeConfig alone: about
 * 35 MiB; its generated APIs another 45 MiB, loaded on first use), so they are imported only when
 * the config names clusters; without clusters no feature calls them.
 */
async function assemble(base: FeatureBase): Promise<Assembly> {
  const { config } = base;
  // Before any module that imports the package is even resolved: see client-node-slim.ts.
  if (config.clusters.length > 0) await import('../adapters/kube/client-node-slim.js');
  const kube =
    config.clusters.length > 0
      ? {
          health: (await import('../adapters/kube/wiring.js')).kubeHealthWiring,
          leader: (await import('../adapters/kube/wiring.js')).kubeLeaderWiring,
          createClusters: (await import('../adapters/kube/operator-client.js')).createOperatorClusters,
        }
      : undefined;
  const noClusters = (): never => {
    throw new Error('no clusters are configured');
  };
  const leader = leaderFeature(base, kube?.leader ?? { leaseElector: noClusters });
  const { isLeader } = leader;
  const alertmanagers = alertmanagerDirectory(
    config.alertmanagers,
    (am) =>
      new AlertmanagerClient({ name: am.name, url: am.url, timeoutMs: am.timeoutMs, retries: am.retries }),
  );
  const health = healthFeature(base, kube?.health ?? { reader: noClusters }, { isLeader, alertmanagers });
  const incidents = incidentsFeature(base, { health: health.engine, isLeader });
  const alerts = alertsFeature(
    base,
    { registerWebhook: registerAlertWebhook },
    { alertmanagers, oncall: incidents.roster, incidents: incidents.engine },
  );
  const operations = operationsFeature(
    base,
    { createClusters: kube?.createClusters ?? noClusters },
    { alertmanagers, isLeader },
  );
  return {
    // The leader first, so every later feature's background work asks an elector that runs;
    // incidents before alerts, so delivery (which mentions who is on call and updates incident
    // rooms) starts with the overrides loaded, and stops first.
    features: [leader, incidents, alerts, health, operations],
    engines: {
      alertmanagers,
      incidents: incidents.engine,
      oncall: incidents.roster,
      health: health.engine,
      caches: health.caches,
      clusters: operations.engines?.clusters ?? null,
      phases: operations.engines?.phases ?? null,
      drills: operations.engines?.drills ?? null,
    },
  };
}

interface ChatChoice {
  chat: ChatPort;
  /** Resolves when the adapter has ended by itself (the shell's input ran out) or was stopped. */
  ended: Promise<void>;
  /** The platform's callback routes (slash commands, buttons), added before HTTP listens. */
  routes?: (http: FastifyInstance) => void;
}

/** The chat platform the config names; its client library is imported only then. */
async function createChat(
  config: Config,
  useShell: boolean,
  options: StartOptions,
  signer: ActionSigner,
  log: Logger,
  store: Store,
): Promise<ChatChoice> {
  const mattermost = useShell ? undefined : config.chat.mattermost;
  const rocketchat = useShell ? undefined : config.chat.rocketchat;
  if (mattermost) {
    const { MattermostAdapter } = await import('../adapters/chat/mattermost/mattermost-adapter.js');
    const chat = new MattermostAdapter({
      ...mattermost,
      trigger: config.command,
      groups: allGroups(),
      signer,
      log,
      store,
      replica: replicaIdentity(config),
    });
    return { chat, ended: chat.ended, routes: (http) => chat.registerRoutes(http) };
  }
  if (rocketchat) {
    const { RocketChatAdapter } = await import('../adapters/chat/rocketchat/rocketchat-adapter.js');
    const chat = new RocketChatAdapter({
      ...rocketchat,
      trigger: config.command,
      signer,
      log,
      store,
      replica: replicaIdentity(config),
    });
    return { chat, ended: chat.ended, routes: (http) => chat.registerRoutes(http) };
  }
  const chat = new ShellAdapter({
    input: options.input ?? process.stdin,
    output: options.output ?? process.stdout,
    interactive: options.interactive ?? (process.stdin.isTTY === true && options.input === undefined),
    trigger: config.command,
    signer,
  });
  return { chat, ended: chat.ended };
}

export async function startBot(options: StartOptions = {}): Promise<Bot> {
  const config = loadConfig(
    options.configPath === undefined
      ? { env: options.env ?? process.env }
      : { path: options.configPath, env: options.env ?? process.env },
  );
  const platformConfigured = config.chat.mattermost !== undefined || config.chat.rocketchat !== undefined;
  const useShell = options.shell === true || !platformConfigured;
  // In the shell, the terminal is the chat: only warnings and errors interrupt it unless asked.
  const level = config.log.level ?? (useShell ? 'warn' : 'info');
  const log = options.logger ?? createLogger({ level, pretty: process.stderr.isTTY === true });
  const metrics = createMetrics();
  const signer = new ActionSigner(config.security.signingKey);
  if (!useShell && config.chat.mattermost && config.chat.rocketchat) {
    throw new StartError(
      'both chat.mattermost and chat.rocketchat are configured; one coxswain serves one platform, so remove one.',
    );
  }
  if (!config.security.signingKey)
    log.debug('no security.signingKey set: button signatures are valid for this process only');

  const store = await openStore(config.store, {
    onConnectionError: (error) => {
      metrics.storeConnectionErrors.inc();
      log.warn(
        { err: error },
        'a PostgreSQL connection was dropped (server restart or failover?); the next query opens a new one',
      );
    },
  });
  let stopKeyCheck: () => void;
  try {
    stopKeyCheck = await checkSharedSigningKey({
      store,
      key: config.security.signingKey,
      replicas: config.leaderElection.replicas,
      identity: replicaIdentity(config),
      log,
    });
  } catch (error) {
    await store.close().catch(() => undefined);
    if (error instanceof SigningKeyMismatch) throw new StartError(error.message);
    throw error;
  }
  const { chat, ended, routes: chatRoutes } = await createChat(config, useShell, options, signer, log, store);

  const roles = useShell
    ? new FixedRoleResolver(options.role ?? 'viewer')
    : new BindingRoleResolver(config.auth.bindings);
  const { rooms } = chat;
  const { features, engines } = await assemble({ config, store, log, metrics, chat, now: Date.now });
  const services: Services = {
    config,
    store,
    now: Date.now,
    groups: allGroups,
    dialogs: chat.dialogs ?? null,
    upload: rooms ? (destination, file, message) => rooms.attach(destination, file, message) : null,
    ...engines,
  };
  const router = new Router({
    trigger: config.command,
    groups: allGroups(),
    roles,
    store,
    services,
    metrics,
    log,
    confirmExpiryMs: parseDuration(config.confirmations.expiry) as number,
    approvalExpiryMs: parseDuration(config.approvals.expiry) as number,
    approvalsRequired: config.approvals.required,
  });
  const inbound = new Inbound(router, log);
  metrics.watchChat(chat);

  const port = options.port ?? (useShell ? undefined : config.http.port);
  const http =
    port === undefined
      ? undefined
      : createHttpServer({
          log,
          metrics,
          // Ready = can take webhooks into the outbox; a chat outage is what the outbox is for.
          readiness: [{ name: 'store', check: () => store.ping() }],
          details: [{ name: `chat:${chat.platform}`, check: () => chat.isReady() }],
        });

  const hooks: FeatureHooks = {
    registerAction: (spec) => router.actions.action(spec),
    registerDialog: (spec) => router.actions.dialog(spec),
  };
  if (http) hooks.http = http;
  if (http && chatRoutes) chatRoutes(http);
  const started: Feature[] = [];
  for (const feature of features) {
    await feature.start(hooks);
    started.push(feature);
  }

  let url: string | undefined;
  if (http && port !== undefined) {
    url = await http.listen({ host: useShell ? '127.0.0.1' : config.http.host, port });
    log.info({ url }, 'http listening');
  }

  await chat.start(inbound);

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      log.info('shutting down: no new work, finishing what is running');
      await http?.close();
      await chat.stop().catch((error: unknown) => log.warn({ err: error }, 'chat adapter stop failed'));
      await inbound.drain();
      for (const feature of started.reverse()) {
        await Promise.resolve(feature.stop?.()).catch((error: unknown) =>
          log.warn({ err: error, feature: feature.name }, 'feature stop failed'),
        );
      }
      stopKeyCheck();
      await store.close();
      log.info('stopped');
    })();
    return stopping;
  };

  const done = ended.then(stop);
  const bot: Bot = { config, store, router, chat, done, stop };
  if (http) bot.http = http;
  if (url) bot.url = url;
  return bot;
}

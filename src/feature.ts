/**
 * A feature (alerts, health, drills, incidents, ...) is built in two steps. Its factory builds its
 * engines from the base every feature shares and the engines of the features it depends on, all
 * passed as arguments: main.ts builds the features in dependency order and hands the engines to
 * the command handlers (src/services.ts). Its start() then registers hook routes, button actions
 * and dialogs, and starts background work until stopped, as a probot app does. main.ts lists
 * the features; nothing else knows them.
 */
import type { FastifyInstance } from 'fastify';
import type { Config } from './config/schema.js';
import type { Logger } from './log.js';
import type { Metrics } from './metrics.js';
import type { ChatPort } from './ports.js';
import type { ActionSpec, DialogSpec } from './router/action-spec.js';
import type { Store } from './store/store.js';

/** What every feature's factory may use: the pieces the composition root has before any feature. */
export interface FeatureBase {
  config: Config;
  store: Store;
  log: Logger;
  metrics: Metrics;
  /** The chat platform the bot posts to (the shell when none is configured). */
  chat: ChatPort;
  now: () => number;
}

/** What start() gets: the places a feature plugs into, which exist once the router is built. */
export interface FeatureHooks {
  /** Present when the bot serves HTTP; routes must be added in start(), before it listens. */
  http?: FastifyInstance;
  /** A button: the router's action chain refuses below its permission and audits every click. */
  registerAction(spec: ActionSpec): void;
  /** A dialog's submissions (the Dialog's `action`), through the same chain as buttons. */
  registerDialog(spec: DialogSpec): void;
}

export interface Feature {
  name: string;
  start(hooks: FeatureHooks): Promise<void> | void;
  /** Called on shutdown after chat input has stopped; finish or hand back work. */
  stop?(): Promise<void> | void;
}

/**
 * A feature (alerts, health, drills, incidents, ...) is a function of its context, the way a
 * probot app is: it registers hook routes, button actions and engines, and may run background
 * work until stopped. main.ts lists the features; nothing else knows them.
 */
import type { FastifyInstance } from 'fastify';
import type { Config } from './config/schema.js';
import type { Logger } from './log.js';
import type { Metrics } from './metrics.js';
import type { ChatPort } from './ports.js';
import type { ActionSpec, DialogSpec } from './router/action-spec.js';
import type { ActionSigner } from './security/signing.js';
import type { Services } from './services.js';
import type { Store } from './store/store.js';

export interface FeatureContext {
  config: Config;
  store: Store;
  log: Logger;
  metrics: Metrics;
  /** The chat platform the bot posts to (the shell when none is configured). */
  chat: ChatPort;
  signer: ActionSigner;
  /** Present when the bot serves HTTP; routes must be added in start(), before it listens. */
  http?: FastifyInstance;
  /** Engines for command handlers; a feature sets its own member. */
  services: Services;
  /** A button: the router's action chain refuses below its permission and audits every click. */
  registerAction(spec: ActionSpec): void;
  /** A dialog's submissions (the Dialog's `action`), through the same chain as buttons. */
  registerDialog(spec: DialogSpec): void;
}

export interface Feature {
  name: string;
  start(ctx: FeatureContext): Promise<void> | void;
  /** Called on shutdown after chat input has stopped; finish or hand back work. */
  stop?(): Promise<void> | void;
}

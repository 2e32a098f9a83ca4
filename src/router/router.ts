/**
 * The router: the App of bolt-js. It owns the command groups and runs every invocation through
 * the middleware chain, and owns the buttons and forms (`actions`), which run through the action
 * chain; all the work is in the middleware and the engines.
 */
import type { RoleResolver } from '../auth/roles.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { Invocation } from '../ports.js';
import type { Services } from '../services.js';
import type { Store } from '../store/store.js';
import { ActionRouter } from './actions.js';
import { type ConfirmDeps, confirm, confirmActions } from './confirm.js';
import { type Dispatch, type Middleware, runChain } from './dispatch.js';
import { audit, authorize, execute, identify, parse, validate } from './middleware.js';
import type { CommandGroup } from './spec.js';

export interface RouterOptions {
  trigger: string;
  groups: CommandGroup[];
  roles: RoleResolver;
  store: Store;
  /** What command handlers may use, the features' engines among them (built before the router). */
  services: Services;
  metrics: Metrics;
  log: Logger;
  confirmExpiryMs: number;
  approvalExpiryMs: number;
  approvalsRequired: readonly string[];
  now?: () => number;
}

export class Router {
  private readonly chain: Middleware[];
  private readonly deps: ConfirmDeps;
  /** Buttons and forms: features register theirs here, the confirmation buttons are built in. */
  readonly actions: ActionRouter;

  constructor(private readonly options: RouterOptions) {
    const now = options.now ?? Date.now;
    const groups = () => options.groups;
    this.deps = {
      trigger: options.trigger,
      groups,
      roles: options.roles,
      store: options.store,
      services: options.services,
      metrics: options.metrics,
      log: options.log,
      now,
      confirmExpiryMs: options.confirmExpiryMs,
      approvalExpiryMs: options.approvalExpiryMs,
      approvalsRequired: options.approvalsRequired,
      replay: (invocation, confirmed) => this.run(invocation, confirmed),
    };
    this.chain = [
      audit(this.deps),
      parse(this.deps),
      validate(this.deps),
      identify(this.deps),
      authorize(this.deps),
      confirm(this.deps),
      execute(this.deps),
    ];
    this.actions = new ActionRouter({ roles: options.roles, store: options.store, log: options.log, now });
    for (const spec of confirmActions(this.deps)) this.actions.action(spec);
  }

  get groups(): readonly CommandGroup[] {
    return this.options.groups;
  }

  get trigger(): string {
    return this.options.trigger;
  }

  /** Handles one typed command; never throws (failures are answered and audited). */
  handle(invocation: Invocation): Promise<void> {
    return this.run(invocation, undefined);
  }

  private async run(invocation: Invocation, confirmed: Dispatch['confirmed']): Promise<void> {
    const dispatch: Dispatch = {
      invocation,
      startedAt: this.deps.now(),
      words: [],
      command: 'unknown',
      outcome: 'error',
      detail: '',
    };
    if (confirmed) dispatch.confirmed = confirmed;
    try {
      await runChain(this.chain, dispatch);
    } catch (error) {
      // Only the audit middleware's own reply can get here; the command was already recorded.
      this.options.log.error({ err: error, requestId: invocation.requestId }, 'router failed');
    }
  }
}

/**
 * The router: the App of bolt-js. It owns the command groups and runs every invocation through
 * the middleware chain; all the work is in the middleware and the engines.
 */
import type { RoleResolver } from '../auth/roles.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { ActionEvent, Invocation } from '../ports.js';
import type { Services } from '../services.js';
import type { Store } from '../store/store.js';
import { type ConfirmDeps, confirm, onConfirmAction } from './confirm.js';
import { type Dispatch, type Middleware, runChain } from './dispatch.js';
import { audit, authorize, execute, identify, parse, validate } from './middleware.js';
import type { CommandGroup } from './spec.js';

export interface RouterOptions {
  trigger: string;
  groups: CommandGroup[];
  roles: RoleResolver;
  store: Store;
  /** Shared with features, which add their engines to it after the router is built. */
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

  /** Handles the Confirm/Cancel/Approve/Reject buttons. */
  handleConfirmAction(event: ActionEvent): Promise<void> {
    return onConfirmAction(this.deps, event);
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

/** The state of one invocation as it passes through the middleware chain. */
import type { Role } from '../auth/config-schema.js';
import type { Invocation } from '../ports.js';
import type { AuditOutcome } from '../store/store.js';
import type { Args, CommandSpec } from './spec.js';

export interface Dispatch {
  invocation: Invocation;
  startedAt: number;
  words: string[];
  spec?: CommandSpec;
  args?: Args;
  role?: Role | undefined;
  /** The resolved command path for audit and metrics; never raw user text (label cardinality). */
  command: string;
  outcome: AuditOutcome;
  detail: string;
  /** Set when a confirmed (and, where required, approved) command is replayed. */
  confirmed?: { approvedBy?: string };
}

/** One step of a chain over some state: a typed command's Dispatch, a button's Click (actions.ts). */
export type Middleware<State = Dispatch> = (state: State, next: () => Promise<void>) => Promise<void>;

/** Runs middleware in order; each decides whether to call the next. */
export async function runChain<State>(chain: readonly Middleware<State>[], state: State): Promise<void> {
  const step = async (index: number): Promise<void> => {
    const middleware = chain[index];
    if (middleware) await middleware(state, () => step(index + 1));
  };
  await step(0);
}

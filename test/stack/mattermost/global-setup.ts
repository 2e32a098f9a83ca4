/**
 * Vitest global setup of the `mattermost` project: builds the real Mattermost server once
 * (build.sh, cached outside the repository), starts it on a fresh PostgreSQL database, creates
 * the accounts, and provides them to the tests as `inject('mattermost')`. Teardown stops both.
 */
import { buildMattermost, type MattermostStack, startMattermost, stopMattermost } from './server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    mattermost: MattermostStack;
  }
}

interface SetupProject {
  provide?: (key: 'mattermost', value: MattermostStack) => void;
}

let stack: MattermostStack | undefined;
/** Projects using this server (mattermost, stack-mattermost): started once, stopped after the last. */
let users = 0;

export async function setup(project?: SetupProject): Promise<void> {
  users++;
  if (stack) {
    project?.provide?.('mattermost', stack);
    return;
  }
  const t0 = Date.now();
  buildMattermost();
  const built = (Date.now() - t0) / 1000;
  stack = await startMattermost();
  const t = stack.timings;
  console.log(
    `[mattermost] build check ${built.toFixed(1)} s, postgres ${t.postgres.toFixed(1)} s, server ${t.server.toFixed(1)} s, accounts ${t.accounts.toFixed(1)} s at ${stack.url}`,
  );
  project?.provide?.('mattermost', stack);
}

export function teardown(): void {
  if (--users > 0) return;
  stopMattermost(stack);
  stack = undefined;
}

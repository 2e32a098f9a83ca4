// Router overhead: one command through the whole middleware chain (parse, validate, identify,
// authorize, run, audit to SQLite, metrics) against the floor of tokenizing and resolving alone.
import { pino } from 'pino';
import { allGroups } from '../dist/commands/index.js';
import { FixedRoleResolver } from '../dist/src/auth/roles.js';
import { configSchema } from '../dist/src/config/schema.js';
import { createMetrics } from '../dist/src/metrics.js';
import { resolveCommand } from '../dist/src/router/resolve.js';
import { Router } from '../dist/src/router/router.js';
import { tokenize } from '../dist/src/router/tokenize.js';
import { SqlStore } from '../dist/src/store/sql-store.js';
import { SqliteDriver } from '../dist/src/store/sqlite-driver.js';
import { ms, summarize } from './lib.mjs';

const LINES = [
  'help audit',
  'audit --limit 5',
  'drill plan node-drain --cluster apps --node apps-02',
  'helth',
  'silence add alertname="X" --for 2h',
];

export async function run({ iterations = 4000 } = {}) {
  const config = configSchema.parse({});
  const store = new SqlStore(new SqliteDriver(':memory:'));
  await store.migrate();
  const groups = allGroups();
  const router = new Router({
    trigger: '/ops',
    groups,
    roles: new FixedRoleResolver('admin'),
    store,
    services: { config, store, now: Date.now, groups: () => groups },
    metrics: createMetrics({ defaults: false }),
    log: pino({ level: 'silent' }),
    confirmExpiryMs: 120_000,
    approvalExpiryMs: 900_000,
    approvalsRequired: [],
  });
  const responder = {
    reply: async () => undefined,
    replyInThread: async () => undefined,
    update: async () => {},
  };
  const user = { id: 'u', username: 'bench', groups: [] };
  const channel = { id: 'c', name: 'bench' };

  const full = [];
  const floor = [];
  for (let i = 0; i < iterations; i++) {
    const text = LINES[i % LINES.length];
    let t = performance.now();
    await router.handle({ platform: 'bench', user, channel, text, requestId: String(i), responder });
    full.push(performance.now() - t);
    t = performance.now();
    const tokens = tokenize(text);
    resolveCommand(groups, tokens.words);
    floor.push(performance.now() - t);
  }
  await store.close();
  const a = summarize(full.slice(iterations / 10));
  const b = summarize(floor.slice(iterations / 10));
  return {
    title: 'Router: one command through the whole chain',
    header: ['measure', 'full chain (audited to SQLite)', 'floor: tokenize + resolve', 'ratio'],
    rows: [
      ['p50 per command', ms(a.p50), ms(b.p50), `${(a.p50 / b.p50).toFixed(0)}×`],
      ['p99 per command', ms(a.p99), ms(b.p99), `${(a.p99 / b.p99).toFixed(0)}×`],
    ],
    note: `${iterations} commands cycling through ${LINES.length} lines (help, audit, drill plan, a typo, a silence), the first 10% discarded as warm-up. The audit write (SQLite, synchronous=FULL, in memory here) is most of the chain.`,
  };
}

/**
 * Kubernetes names typed by people are validated (DNS-1123) before any API call. The real
 * router, commands and drill/phase engines run over a Kubernetes port that records every call
 * (the boundary where the adapters in adapters/kube/ would send a request); fast-check types
 * `drill plan`, `drill run --dry-run`, `phase status` and `phase run --dry-run` lines with
 * hostile node, namespace, workload, cluster, drill and phase names. A name that is not a valid
 * DNS-1123 name never reaches the port, and the answer says what is wrong with it.
 *
 * Runs are bounded (FUZZ_RUNS); on failure fast-check prints the seed; replay with FUZZ_SEED.
 */
import fc from 'fast-check';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allGroups } from '../../commands/index.js';
import { FixedRoleResolver } from '../../src/auth/roles.js';
import { configSchema } from '../../src/config/schema.js';
import { loadDrills } from '../../src/drills/definitions.js';
import { DrillEngine } from '../../src/drills/engine.js';
import type { ClusterDirectory, ClusterOps } from '../../src/kube/cluster-ops.js';
import { DNS1123_SUBDOMAIN } from '../../src/kube/names.js';
import { createLogger } from '../../src/log.js';
import type { Message } from '../../src/message.js';
import { createMetrics } from '../../src/metrics.js';
import { loadPhases } from '../../src/phases/definitions.js';
import { PhaseEngine } from '../../src/phases/engine.js';
import type { Destination, Invocation, PostRef } from '../../src/ports.js';
import { Router } from '../../src/router/router.js';
import { SqlStore } from '../../src/store/sql-store.js';
import { SqliteDriver } from '../../src/store/sqlite-driver.js';
import { RecordingResponder } from '../support/router-harness.js';
import { testServices } from '../support/services.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 200);
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
function runs(numRuns = RUNS): fc.Parameters<unknown> {
  return SEED === undefined ? { numRuns } : { numRuns, seed: SEED };
}

/** Every call that would have gone to an API server: method and the strings it named. */
const calls: { cluster: string; method: string; names: string[] }[] = [];

/** Strings an API call names: plain arguments and the name/namespace/nodeName of refs and queries. */
function namesIn(args: unknown[]): string[] {
  const names: string[] = [];
  for (const arg of args) {
    if (typeof arg === 'string') names.push(arg);
    else if (arg && typeof arg === 'object') {
      for (const key of ['name', 'namespace', 'nodeName'] as const) {
        const value = (arg as Record<string, unknown>)[key];
        if (typeof value === 'string') names.push(value);
      }
    }
  }
  return names;
}

/** A port whose every method records its call; lists are empty, gets find a Ready node or nothing. */
function recordingPort(cluster: string, prefix: string): object {
  return new Proxy(
    {},
    {
      get(_target, method: string | symbol) {
        if (typeof method !== 'string' || method === 'then') return undefined;
        return async (...args: unknown[]) => {
          calls.push({ cluster, method: `${prefix}.${method}`, names: namesIn(args) });
          if (method.startsWith('list')) return [];
          if (method === 'getNode') return { name: String(args[0]), ready: true, unschedulable: false };
          if (method === 'get') return undefined;
          return 'gone';
        };
      },
    },
  );
}

const directory: ClusterDirectory = {
  names: () => ['infra', 'apps'],
  get(cluster: string): ClusterOps | undefined {
    calls.push({ cluster, method: 'directory.get', names: [cluster] });
    if (cluster !== 'infra' && cluster !== 'apps') return undefined;
    return {
      cluster,
      reader: recordingPort(cluster, 'reader') as ClusterOps['reader'],
      writer: () => recordingPort(cluster, 'writer') as ReturnType<ClusterOps['writer']>,
    };
  },
};

const chat = {
  next: 1,
  async post(destination: Destination, _message: Message): Promise<PostRef> {
    return { platform: 'test', channelId: destination.channelId, postId: `p${this.next++}` };
  },
  async update(): Promise<void> {},
};

let store: SqlStore;
let router: Router;
let drills: DrillEngine;
let phases: PhaseEngine;

beforeAll(async () => {
  store = new SqlStore(new SqliteDriver(':memory:'));
  await store.migrate();
  const log = createLogger({ level: 'silent' });
  drills = new DrillEngine({ store, clusters: directory, chat, drills: loadDrills(), log });
  phases = new PhaseEngine({ store, clusters: directory, chat, phases: loadPhases(), log });
  const services = testServices({ config: configSchema.parse({}), store, drills, phases });
  // Wired as main.ts wires it, as an admin: every command is allowed, so only validation stops one.
  router = new Router({
    trigger: '/ops',
    groups: allGroups(),
    roles: new FixedRoleResolver('admin'),
    store,
    services,
    metrics: createMetrics({ defaults: false }),
    log: pino({ level: 'silent' }),
    confirmExpiryMs: 120_000,
    approvalExpiryMs: 900_000,
    approvalsRequired: [],
  });
});

afterAll(async () => {
  await drills?.stop();
  await phases?.stop();
  await store?.close();
});

let request = 0;
async function run(text: string): Promise<RecordingResponder> {
  const responder = new RecordingResponder();
  const invocation: Invocation = {
    platform: 'test',
    user: { id: 'u1', username: 'alice', groups: [] },
    channel: { id: 'c1', name: 'ops' },
    text,
    requestId: `k${++request}`,
    responder,
  };
  await router.handle(invocation);
  return responder;
}

const hostileName = fc.oneof(
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 20 }),
  fc.constantFrom(
    '../../etc',
    'apps-02/..',
    'apps-02%2F..',
    'Apps-02',
    'apps_02',
    '-apps',
    'apps-',
    'apps-02.',
    '.apps',
    'a'.repeat(64),
    'a'.repeat(254),
    '__proto__',
    'constructor',
    'kube-system,default',
    'apps-02?watch=true',
    'apps-02#x',
    'apps\u0000',
    'app\u0455',
    '*',
    '',
  ),
  // Valid names too: they may reach the port, and nothing else may.
  fc.constantFrom('apps-02', 'databases', 'web', 'infra', 'apps', 'rook-ceph.osd-0'),
);
const isSubdomain = (name: string) => DNS1123_SUBDOMAIN.regex.test(name);
/** Quoted for the command line so spaces and quotes survive tokenizing (or make a clear error). */
const quote = (value: string) => `"${value.replace(/["\\\u201c\u201d]/g, '')}"`;

describe('Kubernetes names from users', () => {
  it('(the recording port sees valid names: the property below is not vacuous)', async () => {
    calls.length = 0;
    await run('drill plan node-drain --node apps-02');
    expect(calls.some((c) => c.method === 'reader.getNode' && c.names.includes('apps-02'))).toBe(true);
    calls.length = 0;
    const refused = await run('drill plan node-drain --node ../../etc');
    expect(refused.texts.join('\n')).toContain('must be a Kubernetes name');
    expect(calls).toEqual([]);
  });

  it('never reach the Kubernetes port unless they are DNS-1123 names, and a bad one is named in the answer', async () => {
    const drillNames = loadDrills().map((d) => d.name);
    const line = fc.record({
      verb: fc.constantFrom('plan', 'run'),
      drill: fc.oneof(fc.constantFrom(...drillNames), hostileName),
      node: fc.option(hostileName, { nil: undefined }),
      namespace: fc.option(hostileName, { nil: undefined }),
      workload: fc.option(hostileName, { nil: undefined }),
      cluster: fc.option(hostileName, { nil: undefined }),
    });
    await fc.assert(
      fc.asyncProperty(line, async (l) => {
        calls.length = 0;
        const given: string[] = [l.drill];
        let text = `drill ${l.verb} ${quote(l.drill)}`;
        for (const key of ['node', 'namespace', 'workload', 'cluster'] as const) {
          const value = l[key];
          if (value === undefined) continue;
          given.push(value);
          text += ` --${key} ${quote(value)}`;
        }
        if (l.verb === 'run') text += ' --dry-run';
        const answer = await run(text);
        for (const call of calls) {
          for (const name of call.names) {
            expect(isSubdomain(name), `${call.method}(${JSON.stringify(name)}) from: ${text}`).toBe(true);
          }
        }
        const invalid = given
          .map((v) => v.replace(/["\\\u201c\u201d]/g, ''))
          .filter((v) => v.length > 0 && !isSubdomain(v));
        if (invalid.length > 0) {
          expect(calls.filter((c) => c.method !== 'directory.get')).toEqual([]);
          const said = answer.texts.join('\n');
          expect(said.length, text).toBeGreaterThan(0);
          expect(said, text).toMatch(
            /must be a Kubernetes name|needs a value|Unexpected|not closed|unknown|no drill|must be one of/i,
          );
        }
      }),
      runs(),
    );
  });

  it('a phase name reaches no API unless it is one of the defined phases', async () => {
    const phaseNames = loadPhases().phases.map((p) => p.name);
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('status', 'run'),
        fc.oneof(hostileName, fc.constantFrom(...phaseNames)),
        async (verb, name) => {
          calls.length = 0;
          const clean = name.replace(/["\\\u201c\u201d]/g, '');
          const answer = await run(`phase ${verb} ${quote(name)}${verb === 'run' ? ' --dry-run' : ''}`);
          for (const call of calls)
            for (const n of call.names)
              expect(isSubdomain(n), `${call.method}(${JSON.stringify(n)})`).toBe(true);
          if (!phaseNames.includes(clean)) {
            expect(calls.filter((c) => c.method !== 'directory.get')).toEqual([]);
            expect(answer.texts.join('\n').length).toBeGreaterThan(0);
          }
        },
      ),
      runs(),
    );
  });
});

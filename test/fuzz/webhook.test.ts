/**
 * Property-based tests of the Alertmanager webhook through its real HTTP route: the bot's own
 * HTTP server (src/http/server.ts) with the webhook registered as main.ts registers it, listening
 * on a real socket, on a real SQLite store. Bodies are built as JSON text, so duplicate keys,
 * `__proto__` keys, lone surrogates and truncations reach the server exactly as generated.
 *
 * Every answer is a 4xx with a JSON body that says what is wrong, or a 200 after which the outbox
 * holds exactly the alerts sent (as JSON.parse reads the body: the last of duplicate keys wins).
 * Never a 5xx, never a crash, never an unhandled rejection.
 *
 * Runs are bounded (FUZZ_RUNS, default 150). On failure fast-check prints the seed and the shrunk
 * counterexample in the assertion message; replay with FUZZ_SEED=<seed> (and FUZZ_PATH=<path>).
 */
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { registerAlertWebhook } from '../../handlers/alertmanager-webhook.js';
import { createAlertMetrics } from '../../src/alerts/metrics.js';
import type { OutboxAlert } from '../../src/alerts/payload.js';
import { createHttpServer } from '../../src/http/server.js';
import { createMetrics } from '../../src/metrics.js';
import { SqlStore } from '../../src/store/sql-store.js';
import { SqliteDriver } from '../../src/store/sqlite-driver.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 150);
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
const PATH = process.env.FUZZ_PATH;
/** Options for every fc.assert: bounded, replayable, and loud about the seed. */
function runs(numRuns = RUNS): fc.Parameters<unknown> {
  const p: fc.Parameters<unknown> = { numRuns };
  if (SEED !== undefined) p.seed = SEED;
  if (PATH !== undefined) p.path = PATH;
  return p;
}

const TOKEN = 'fuzz-token-0123456789abcdef';
const MAX_BODY = 256 * 1024;

let http: FastifyInstance;
let store: SqlStore;
let url: string;
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  store = new SqlStore(new SqliteDriver(':memory:'));
  await store.migrate();
  const metrics = createMetrics({ defaults: false });
  http = createHttpServer({ log: pino({ level: 'silent' }), metrics, readiness: [], bodyLimit: MAX_BODY });
  registerAlertWebhook({
    http,
    store,
    log: pino({ level: 'silent' }),
    metrics: createAlertMetrics(metrics.registry, store),
    token: TOKEN,
    maxBodyBytes: MAX_BODY,
  });
  await http.listen({ host: '127.0.0.1', port: 0 });
  url = `http://127.0.0.1:${(http.server.address() as AddressInfo).port}/hooks/alertmanager`;
});

afterEach(() => {
  // An unhandled rejection anywhere during a test fails that test, with what was rejected.
  expect(unhandled.map(String)).toEqual([]);
});

afterAll(async () => {
  process.off('unhandledRejection', onUnhandled);
  await http?.close();
  await store?.close();
});

interface Answer {
  status: number;
  body: string;
}

async function post(body: string, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', ...headers },
    body,
  });
  return { status: response.status, body: await response.text() };
}

/** A 4xx whose JSON body says what is wrong (the webhook's own `error`, or fastify's `message`). */
function expectClearRefusal(answer: Answer, status?: number): void {
  if (status !== undefined) expect(answer.status, answer.body).toBe(status);
  expect(answer.status, answer.body).toBeGreaterThanOrEqual(400);
  expect(answer.status, answer.body).toBeLessThan(500);
  const parsed = JSON.parse(answer.body) as { error?: unknown; message?: unknown };
  const said = [parsed.error, parsed.message].filter((s) => typeof s === 'string' && s.length > 0);
  expect(said.length, answer.body).toBeGreaterThan(0);
}

// ---- JSON text built by hand: duplicate keys and `__proto__` survive into the body ----------

type Json = string | number | boolean | null | Json[] | JsonObject;
/** An object as an ordered list of entries, so a key can repeat. */
interface JsonObject {
  entries: [string, Json][];
}
const obj = (entries: [string, Json][]): JsonObject => ({ entries });

function text(value: Json): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(text).join(',')}]`;
  return `{${value.entries.map(([k, v]) => `${JSON.stringify(k)}:${text(v)}`).join(',')}}`;
}

const HOSTILE_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', '', 'a.b', '0'];
const hostileString = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
  // Lone surrogates: valid JSON escapes, invalid UTF-16 pairs.
  fc.constantFrom('\ud800', '\udfff', 'a\ud83dz', '\u0000', '\u202e', '\ufeff', 'e\u0301'),
  fc.constantFrom('@all', '<!channel>', '[x](http://evil.example)', '<script>alert(1)</script>'),
);
const labelKey = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }) },
  { weight: 1, arbitrary: fc.constantFrom(...HOSTILE_KEYS) },
);
/** A label set as entries; keys may repeat. */
const labelEntries = (maxLength = 8) =>
  fc.array(fc.tuple(labelKey, hostileString), { maxLength }).map((entries) => entries as [string, Json][]);

const alertArb = fc.record({
  status: fc.constantFrom('firing', 'resolved'),
  labels: labelEntries(),
  annotations: labelEntries(4),
  startsAt: fc.constantFrom('2026-11-23T11:48:00Z', '2026-11-23T11:48:00.123456789Z', 'not a time'),
  fingerprint: fc.oneof(
    fc.stringMatching(/^[0-9a-f]{16}$/),
    fc.string({ minLength: 1, maxLength: 20 }),
    fc.constantFrom('__proto__', 'constructor', 'toString'),
  ),
});
type AlertGen = typeof alertArb extends fc.Arbitrary<infer T> ? T : never;

let groupCounter = 0;
function payloadText(alerts: AlertGen[], extra: [string, Json][] = [], groupKey?: string): string {
  return text(
    obj([
      ['version', '4'],
      ['groupKey', groupKey ?? `{}:{fuzz="${++groupCounter}"}`],
      ['truncatedAlerts', 0],
      ['status', alerts.some((a) => a.status === 'firing') ? 'firing' : 'resolved'],
      ['receiver', 'coxswain'],
      ['groupLabels', obj([['alertname', 'Fuzz']])],
      ['commonLabels', obj([])],
      ['commonAnnotations', obj([])],
      ['externalURL', 'http://alertmanager.example:9093'],
      [
        'alerts',
        alerts.map((a) =>
          obj([
            ['status', a.status],
            ['labels', obj(a.labels)],
            ['annotations', obj(a.annotations)],
            ['startsAt', a.startsAt],
            ['endsAt', '0001-01-01T00:00:00Z'],
            ['generatorURL', 'http://prometheus.example:9090/graph'],
            ['fingerprint', a.fingerprint],
          ]),
        ),
      ],
      ...extra,
    ]),
  );
}

/** Whether a body carries a key secure-json-parse refuses (fastify's prototype-poisoning guard). */
function poisons(body: string): boolean {
  const hasProto = (v: unknown): boolean => {
    if (v === null || typeof v !== 'object') return false;
    if (Object.hasOwn(v, '__proto__')) return true;
    if (
      Object.hasOwn(v, 'constructor') &&
      (v as { constructor: unknown }).constructor !== null &&
      typeof (v as { constructor: unknown }).constructor === 'object' &&
      Object.hasOwn((v as { constructor: object }).constructor, 'prototype')
    )
      return true;
    return Object.values(v).some(hasProto);
  };
  return hasProto(JSON.parse(body));
}

/** The outbox rows of one group key, as the store returns them. */
async function storedAlerts(groupKey: string): Promise<OutboxAlert[]> {
  const rows = await store.dueOutbox(Number.MAX_SAFE_INTEGER, 100_000);
  return rows
    .filter((r) => r.groupKey === groupKey)
    .map((r) => r.payload as unknown as OutboxAlert)
    .sort((a, b) => a.alert.fingerprint.localeCompare(b.alert.fingerprint));
}

describe('the Alertmanager webhook under hostile payloads', () => {
  it('answers a well-formed payload with 200 and stores exactly what was sent (or refuses poisoned keys with 400)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(alertArb, { minLength: 1, maxLength: 5 }), async (alerts) => {
        const groupKey = `{}:{fuzz="${++groupCounter}"}`;
        const body = payloadText(alerts, [], groupKey);
        const answer = await post(body);
        if (poisons(body)) {
          expectClearRefusal(answer, 400);
          expect(await storedAlerts(groupKey)).toEqual([]);
          return;
        }
        expect(answer.status, answer.body).toBe(200);
        const sent = (JSON.parse(body) as { alerts: OutboxAlert['alert'][] }).alerts;
        // The store deduplicates by fingerprint, status and start: a repeat within one payload is
        // one row, the first one (as a retry must not overwrite what was stored).
        const distinct = new Map<string, OutboxAlert['alert']>();
        for (const a of sent) {
          const key = `${a.fingerprint}\u0000${a.status}\u0000${a.startsAt}`;
          if (!distinct.has(key)) distinct.set(key, a);
        }
        const reply = JSON.parse(answer.body) as { stored: number; duplicates: number };
        expect(reply.stored + reply.duplicates).toBe(sent.length);
        expect(reply.stored).toBe(distinct.size);
        const stored = await storedAlerts(groupKey);
        expect(stored).toHaveLength(distinct.size);
        for (const row of stored) {
          const original = distinct.get(
            `${row.alert.fingerprint}\u0000${row.alert.status}\u0000${row.alert.startsAt}`,
          );
          expect(original).toBeDefined();
          // Labels and annotations arrive exactly: same keys (hostile ones included), same values.
          expect(row.alert.labels).toEqual(original?.labels);
          expect(row.alert.annotations).toEqual(original?.annotations);
          expect(Object.getPrototypeOf(row.alert.labels)).toBe(Object.prototype);
        }
        // A retry of the same webhook stores nothing new.
        const again = await post(body);
        expect(again.status).toBe(200);
        expect((JSON.parse(again.body) as { stored: number }).stored).toBe(0);
        expect(Object.keys(Object.prototype)).toEqual([]);
      }),
      runs(),
    );
  });

  it('answers 400 with a clear body for a truncated payload', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(alertArb, { minLength: 1, maxLength: 3 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        async (alerts, at) => {
          const body = payloadText(alerts);
          const cut = body.slice(0, Math.min(body.length - 1, Math.floor(at * body.length)));
          expectClearRefusal(await post(cut), 400);
        },
      ),
      runs(),
    );
  });

  /** A constant JSON value (typed as Json, so arrays stay plain arrays). */
  const j = (value: Json): fc.Arbitrary<Json> => fc.constant(value);
  /** For each field, values of a type it must never accept. */
  const wrongTypes: Record<string, fc.Arbitrary<Json>> = {
    version: fc.oneof(j(4), j('3'), j(null), j([])),
    groupKey: fc.oneof(fc.integer(), j(''), j(null), j(obj([]))),
    truncatedAlerts: fc.oneof(j('0'), j(-1), j(1.5), j(null)),
    status: fc.oneof(j('FIRING'), j(1), j(null)),
    receiver: fc.oneof(fc.integer(), j(null), j([])),
    groupLabels: fc.oneof(j('x'), j([]), j(obj([['a', 1]]))),
    commonLabels: fc.oneof(j(null), j(obj([['a', null]]))),
    commonAnnotations: fc.oneof(j(7), j(obj([['a', obj([])]]))),
    externalURL: fc.oneof(j(false), j(obj([]))),
    alerts: fc.oneof(j(null), j(obj([])), j('[]'), j([1])),
  };
  const alertWrongTypes: Record<string, fc.Arbitrary<Json>> = {
    status: fc.constantFrom('pending', 0, null),
    labels: fc.oneof(j(null), j([]), j(obj([['severity', 3]]))),
    annotations: fc.oneof(j(null), j(obj([['summary', true]]))),
    startsAt: fc.constantFrom(0, null, false),
    fingerprint: fc.constantFrom('', 12, null),
  };

  it('answers 400 naming the field for every wrong type, top-level or in an alert', async () => {
    const top = fc
      .constantFrom(...Object.keys(wrongTypes))
      .chain((field) =>
        fc.tuple(fc.constant(field), wrongTypes[field] as fc.Arbitrary<Json>, fc.constant(false)),
      );
    const inAlert = fc
      .constantFrom(...Object.keys(alertWrongTypes))
      .chain((field) =>
        fc.tuple(fc.constant(field), alertWrongTypes[field] as fc.Arbitrary<Json>, fc.constant(true)),
      );
    await fc.assert(
      fc.asyncProperty(alertArb, fc.oneof(top, inAlert), async (a, [field, value, nested]) => {
        const clean = { ...a, labels: [['alertname', 'Fuzz']] as [string, Json][], annotations: [] };
        let body = payloadText([clean]);
        const parsed = JSON.parse(body) as Record<string, unknown> & { alerts: Record<string, unknown>[] };
        // Rebuild the body with the one field replaced, keeping the hand-built JSON for the value.
        const replaced = nested
          ? { ...parsed, alerts: [{ ...parsed.alerts[0], [field]: '\u0001MARK' }] }
          : { ...parsed, [field]: '\u0001MARK' };
        body = JSON.stringify(replaced).replace('"\\u0001MARK"', text(value));
        const answer = await post(body);
        expectClearRefusal(answer, 400);
        const problems = (JSON.parse(answer.body) as { problems?: string[] }).problems ?? [];
        expect(problems.join('\n')).toContain(nested ? `alerts.0.${field}` : field);
      }),
      runs(),
    );
  });

  it('takes huge label sets up to the body limit, and answers 413 with a clear body above it', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 12_000 }),
        fc.string({ unit: 'grapheme', minLength: 1, maxLength: 8 }),
        async (count, value) => {
          const labels: [string, Json][] = Array.from({ length: count }, (_, i) => [`l${i}`, `${value}${i}`]);
          const groupKey = `{}:{fuzz="${++groupCounter}"}`;
          const body = payloadText(
            [
              {
                status: 'firing',
                labels,
                annotations: [],
                startsAt: '2026-11-23T11:48:00Z',
                fingerprint: 'f',
              },
            ],
            [],
            groupKey,
          );
          const answer = await post(body);
          if (Buffer.byteLength(body) > MAX_BODY) {
            expectClearRefusal(answer, 413);
            expect(await storedAlerts(groupKey)).toEqual([]);
          } else {
            expect(answer.status, answer.body).toBe(200);
            const [row] = await storedAlerts(groupKey);
            expect(Object.keys(row?.alert.labels ?? {})).toHaveLength(count);
          }
        },
      ),
      runs(25),
    );
  });

  it('refuses deep nesting anywhere in the body with a 4xx, without a stack overflow', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 100_000 }),
        fc.constantFrom('labels', 'extra', 'proto'),
        fc.constantFrom('[', '{"a":'),
        async (depth, where, open) => {
          const close = open === '[' ? ']' : '}';
          const nested = `${open.repeat(depth)}1${close.repeat(depth)}`;
          const base = payloadText([
            {
              status: 'firing',
              labels: [['alertname', 'Deep']],
              annotations: [],
              startsAt: '2026-11-23T11:48:00Z',
              fingerprint: 'deep',
            },
          ]);
          const body =
            where === 'labels'
              ? base.replace('"labels":{"alertname":"Deep"}', `"labels":{"alertname":${nested}}`)
              : where === 'extra'
                ? `${base.slice(0, -1)},"extra":${nested}}`
                : // a `__proto__` key makes secure-json-parse walk the whole parsed tree
                  `${base.slice(0, -1)},"extra":${nested},"x":{"__proto__":{}}}`;
          const answer = await post(body);
          if (Buffer.byteLength(body) > MAX_BODY) return expectClearRefusal(answer, 413);
          if (where === 'extra') {
            // Unknown keys are allowed (Alertmanager adds some over time): stored and 200.
            expect(answer.status, answer.body.slice(0, 300)).toBe(200);
          } else {
            expectClearRefusal(answer, 400);
          }
        },
      ),
      runs(30),
    );
  });

  it('refuses what is not a JSON webhook call: wrong content type, no body, bad token, wrong method', async () => {
    const body = payloadText([
      { status: 'firing', labels: [['a', 'b']], annotations: [], startsAt: 'not a time', fingerprint: 'f' },
    ]);
    expectClearRefusal(await post(body, { 'content-type': 'text/plain' }));
    expectClearRefusal(await post(body, { 'content-type': 'application/x-www-form-urlencoded' }));
    expectClearRefusal(await post('', {}), 400);
    expectClearRefusal(await post('null'), 400);
    expectClearRefusal(await post('[]'), 400);
    expectClearRefusal(await post('"4"'), 400);
    expectClearRefusal(await post(body, { authorization: `Bearer ${TOKEN}\u00e9` }), 401);
    const get = await fetch(url);
    expect(get.status).toBe(404);
  });

  it('survives a client that sends less than its Content-Length and hangs up', async () => {
    const { connect } = await import('node:net');
    const port = Number(new URL(url).port);
    for (let i = 0; i < 20; i++) {
      await new Promise<void>((resolve) => {
        const socket = connect(port, '127.0.0.1', () => {
          socket.write(
            `POST /hooks/alertmanager HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\n` +
              `Content-Type: application/json\r\nContent-Length: 5000\r\n\r\n{"version":"4","alerts":[`,
          );
          setTimeout(() => socket.destroy(), 5 + i);
        });
        socket.on('close', () => resolve());
        socket.on('error', () => resolve());
      });
    }
    // Still serving.
    const answer = await post(
      payloadText([
        {
          status: 'firing',
          labels: [['a', 'b']],
          annotations: [],
          startsAt: 'not a time',
          fingerprint: 'after',
        },
      ]),
    );
    expect(answer.status).toBe(200);
  });
});

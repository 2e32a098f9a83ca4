/**
 * coxswain's matchers against the real Alertmanager 0.31.1 of the test stack, on one table of
 * matchers and label values. Alertmanager's regexes are Go's RE2; coxswain's must give the same
 * answer for every row, in the three places coxswain decides what a matcher selects:
 *
 * - route matching: the same routes in an Alertmanager config, resolved by
 *   `amtool config routes test` (Alertmanager's own routing tree), and in coxswain's AlertRouter;
 * - which alerts a silence's matchers select: alerts posted to the running Alertmanager, queried
 *   through its API with `amtool alert query` (the server compiles and applies the matchers);
 * - the "would silence everything" check: true exactly when Alertmanager selects every probe.
 *
 * Patterns RE2 refuses (lookahead, backreferences) are refused by both, coxswain with a reason.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import {
  EVERYTHING_PROBES,
  type Matcher,
  matchesAll,
  matchesEverything,
  parseMatchers,
} from '../../../src/alerts/matchers.js';
import { AlertRouter } from '../../../src/alerts/routing.js';
import { configSchema } from '../../../src/config/schema.js';
import { loadStackEnv, type StackEnv } from '../../stack/env.js';
import { expireSilence, pushAlerts } from './support.js';

/** Matchers on the label `value`, written as both read them (TS string escapes doubled). */
const MATCHERS = [
  'value=~"(?i)critical"',
  'value=~"[[:alpha:]]+"',
  'value=~"[[:^alpha:]]*"',
  'value=~".*"',
  'value=~"(?s).*"',
  'value=~""',
  'value=""',
  'value!=""',
  'value=~".+"',
  'value!~"(?i)crit.*"',
  'value=~"\\\\pL+"',
  'value=~"\\\\d+"',
  'value=~"x*"',
  'value=~"|.+"',
  'value=~"😀|Ω.*"',
  'value=~"a b"',
  'value=~"crit|CRIT"',
  // Anchored as `^(?:a)|(b)$`: starts with a, or ends with b. Alertmanager accepts it.
  'value=~"a)|(b"',
  'value="critical"',
  'value!="critical"',
];

/** Label values: the probes of the "everything" check and some that tell the regexes apart. '' is no label. */
const VALUES = [
  ...new Set([...EVERYTHING_PROBES, 'warning', 'Critical', 'web1', '123', 'crit', 'axyz', 'zzb']),
];

/** RE2 refuses these; JavaScript accepted the first two. */
const INVALID = ['value=~"(?=crit)critical"', 'value=~"(a)\\\\1"', 'value=~"[[:alpha:]"', 'value=~"a{1001}"'];

let env: StackEnv;
const work = mkdtempSync(join(tmpdir(), 'coxswain-re2-'));
const run = `re2-${process.pid}-${Date.now()}`;
let silenceId: string | undefined;

function amtool(args: string[]) {
  return spawnSync(env.AMTOOL, args, { encoding: 'utf8', timeout: 30_000 });
}

function parsed(text: string): Matcher[] {
  const result = parseMatchers(text);
  if ('error' in result) throw new Error(`${text}: ${result.error}`);
  return result.matchers;
}

function labelsOf(value: string): Record<string, string> {
  return value === '' ? { alertname: 'CoxswainRe2Probe' } : { alertname: 'CoxswainRe2Probe', value };
}

/** A label as amtool reads it on its command line: quoted, with Go string escapes. */
function amLabel(name: string, value: string): string {
  return `${name}=${JSON.stringify(value)}`;
}

/** Routes one per matcher (receiver m<i>), and what `amtool config routes test` says for each value. */
function amRoutes(continueAll: boolean): Map<string, string[]> {
  const config = {
    route: {
      receiver: 'none',
      routes: MATCHERS.map((matcher, i) => ({
        receiver: `m${i}`,
        matchers: [matcher],
        continue: continueAll,
      })),
    },
    receivers: [{ name: 'none' }, ...MATCHERS.map((_, i) => ({ name: `m${i}` }))],
  };
  const file = join(work, `routes-${continueAll}.yml`);
  writeFileSync(file, stringify(config));
  const answers = new Map<string, string[]>();
  for (const value of VALUES) {
    const labels = Object.entries(labelsOf(value)).map(([name, v]) => amLabel(name, v));
    const result = amtool(['config', 'routes', 'test', `--config.file=${file}`, ...labels]);
    expect(result.stderr, `amtool for ${JSON.stringify(value)}`).toBe('');
    expect(result.status).toBe(0);
    answers.set(value, result.stdout.trim().split(','));
  }
  return answers;
}

function coxswainRoutes(continueAll: boolean): Map<string, string[]> {
  const alerts = configSchema.parse({
    alerts: {
      routes: MATCHERS.map((matcher, i) => ({
        matchers: [matcher],
        channels: [`m${i}`],
        continue: continueAll,
      })),
      defaultRoute: { channels: ['none'] },
    },
  }).alerts;
  const router = new AlertRouter(alerts);
  return new Map(
    VALUES.map((value) => [value, router.route(labelsOf(value), 'shell').map((t) => t.channel)]),
  );
}

beforeAll(async () => {
  env = loadStackEnv();
  // A silence first, so the probe alerts reach no receiver (no bot of a later test gets them).
  const now = Date.now();
  const response = await fetch(`${env.ALERTMANAGER_URL}/api/v2/silences`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      matchers: [{ name: 're2_run', value: run, isRegex: false, isEqual: true }],
      startsAt: new Date(now).toISOString(),
      endsAt: new Date(now + 10 * 60_000).toISOString(),
      createdBy: 'coxswain-tests',
      comment: 'RE2 matcher table probes',
    }),
  });
  expect(response.status).toBe(200);
  silenceId = ((await response.json()) as { silenceID: string }).silenceID;
  await pushAlerts(
    env,
    VALUES.map((value, probe) => ({
      labels: { ...labelsOf(value), re2_run: run, probe: String(probe) },
      endsAt: new Date(now + 5 * 60_000).toISOString(),
    })),
  );
});

afterAll(async () => {
  // Resolve the probes before the silence ends, so nothing is ever notified.
  await pushAlerts(
    env,
    VALUES.map((value, probe) => ({
      labels: { ...labelsOf(value), re2_run: run, probe: String(probe) },
      endsAt: new Date().toISOString(),
    })),
  );
  if (silenceId) await expireSilence(env, silenceId);
});

/** The probe values the running Alertmanager selects for a matcher (every state: they are silenced). */
async function amSelects(matcher: string): Promise<string[]> {
  const args = [
    'alert',
    'query',
    '-a',
    '-s',
    '-i',
    '-u',
    '-o',
    'json',
    `--alertmanager.url=${env.ALERTMANAGER_URL}`,
  ];
  const result = amtool([...args, amLabel('re2_run', run), matcher]);
  expect(result.stderr, matcher).toBe('');
  expect(result.status).toBe(0);
  const alerts = JSON.parse(result.stdout) as { labels: Record<string, string> }[];
  return alerts.map((a) => VALUES[Number(a.labels.probe)] as string).sort();
}

describe('RE2 matchers: coxswain and the real Alertmanager agree', () => {
  it('has every probe alert in Alertmanager', async () => {
    expect(await amSelects('alertname="CoxswainRe2Probe"')).toEqual([...VALUES].sort());
  });

  it('routes the table as Alertmanager routes it, with continue', () => {
    const am = amRoutes(true);
    const ours = coxswainRoutes(true);
    for (const value of VALUES) expect(ours.get(value), JSON.stringify(value)).toEqual(am.get(value));
    // The table tells the regexes apart: not everything goes everywhere.
    expect(new Set([...am.values()].map((r) => r.join())).size).toBeGreaterThan(8);
  });

  it('routes the table as Alertmanager routes it, first match wins', () => {
    const am = amRoutes(false);
    const ours = coxswainRoutes(false);
    for (const value of VALUES) expect(ours.get(value), JSON.stringify(value)).toEqual(am.get(value));
  });

  it('selects the same alerts for each matcher as the running Alertmanager', async () => {
    for (const matcher of MATCHERS) {
      const ours = VALUES.filter((value) => matchesAll(parsed(matcher), labelsOf(value))).sort();
      expect(ours, matcher).toEqual(await amSelects(matcher));
    }
  });

  it('calls a matcher "everything" exactly when Alertmanager selects every probe with it', async () => {
    const probes = [...EVERYTHING_PROBES].sort();
    const everything: string[] = [];
    for (const matcher of MATCHERS) {
      const am = await amSelects(matcher);
      const all = probes.every((probe) => am.includes(probe));
      expect(matchesEverything(parsed(matcher)), matcher).toBe(all);
      if (all) everything.push(matcher);
    }
    // The table has both kinds: these three select everything, the rest do not.
    expect(everything).toEqual(['value=~".*"', 'value=~"(?s).*"', 'value=~"|.+"']);
  });

  it('refuses what Alertmanager refuses, and says why', async () => {
    for (const matcher of INVALID) {
      const config = join(work, 'invalid.yml');
      writeFileSync(
        config,
        stringify({
          route: { receiver: 'none', routes: [{ receiver: 'none', matchers: [matcher] }] },
          receivers: [{ name: 'none' }],
        }),
      );
      const check = amtool(['check-config', config]);
      expect(check.status, matcher).not.toBe(0);
      expect(check.stdout, matcher).toMatch(/error parsing regexp/);
      // The server's API refuses the filter; (amtool alert query prints an empty list for it).
      const query = await fetch(
        `${env.ALERTMANAGER_URL}/api/v2/alerts?filter=${encodeURIComponent(matcher)}`,
      );
      expect(query.status, matcher).toBe(400);
      expect(await query.text(), matcher).toMatch(/error parsing regexp/);
      const ours = parseMatchers(matcher);
      expect('error' in ours && ours.error, matcher).toMatch(/is not a valid regular expression \(RE2/);
    }
  });
});

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError, loadConfig } from '../../../src/config/load.js';
import { configSchema } from '../../../src/config/schema.js';

const dir = mkdtempSync(join(tmpdir(), 'coxswain-config-'));
let n = 0;
function file(text: string): string {
  const path = join(dir, `c${++n}.yaml`);
  writeFileSync(path, text);
  return path;
}
function problems(text: string, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    loadConfig({ path: file(text), env });
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('config validation', () => {
  it('lists every problem with its path', () => {
    expect(
      problems(`
chat:
  mattermost:
    url: not a url
    token: ""
    teams: []
http:
  port: 99999
store:
  driver: mongo
confirmations:
  expiry: soon
`).sort(),
    ).toEqual([
      'chat.mattermost.teams: must list at least one team',
      'chat.mattermost.token: must not be empty',
      'chat.mattermost.url: must be a URL',
      'confirmations.expiry: must be a duration like 90s, 2m, 1h or 1h30m',
      'http.port: Too big: expected number to be <=65535',
      'store.driver: must be one of sqlite, postgres',
    ]);
  });

  it("checks a cluster's metrics endpoint and reads its bearer token from a file", () => {
    expect(
      problems(`
clusters:
  - name: apps
    inCluster: true
    metrics:
      url: vmselect:8481
      timeout: soon
      matchers: '{cluster="apps"'
      extra: 1
`).sort(),
    ).toEqual([
      'clusters.0.metrics.extra: unknown key (check its spelling)',
      'clusters.0.metrics.matchers: must be label matchers like cluster="apps" or cluster=~"apps|apps-.*"',
      'clusters.0.metrics.timeout: must be a duration like 90s, 2m, 1h or 1h30m',
      'clusters.0.metrics.url: must be an http:// or https:// URL (the Prometheus HTTP API)',
    ]);
    const token = file('s3cr3t-token\n');
    const config = loadConfig({
      path: file(
        `clusters:\n  - name: apps\n    inCluster: true\n    metrics:\n      url: http://vm:8428/\n      bearerTokenFile: ${token}\n`,
      ),
      env: {},
    });
    expect(config.clusters[0]?.metrics).toEqual({
      url: 'http://vm:8428/',
      bearerToken: 's3cr3t-token',
      timeout: '5s',
    });
    // Optional: a cluster without one has none.
    expect(
      loadConfig({ path: file('clusters:\n  - name: apps\n    inCluster: true\n'), env: {} }).clusters[0]
        ?.metrics,
    ).toBeUndefined();
  });

  it('refuses a time zone Intl does not know, at load, saying what it wants', () => {
    const wanted =
      'must be an IANA time zone like UTC, Europe/Berlin or America/New_York (the names `timedatectl list-timezones` prints)';
    expect(problems('timeZone: Mars/Olympus\n')).toEqual([`timeZone: ${wanted}`]);
    expect(problems('incidents:\n  timeZone: CET+1\n')).toEqual([`incidents.timeZone: ${wanted}`]);
    expect(problems('timeZone: Europe/Berlin\n')).toEqual([]);
    expect(loadConfig({ path: file('{}\n'), env: {} }).timeZone).toBe('UTC');
  });

  it('names unknown keys, so a typo is not silently ignored', () => {
    expect(problems('comand: /ops\nauth:\n  binding: []\n').sort()).toEqual([
      'auth.binding: unknown key (check its spelling)',
      'comand: unknown key (check its spelling)',
    ]);
  });

  it('names missing and mistyped values', () => {
    expect(problems('chat:\n  rocketchat:\n    url: https://rc.example\n    user: 7\n')).toEqual([
      'chat.rocketchat.user: must be a string',
    ]);
    expect(problems('chat:\n  rocketchat:\n    url: https://rc.example\n    user: coxswain\n')).toEqual([
      'chat.rocketchat.password: is required with user',
    ]);
  });

  it('takes a Rocket.Chat personal access token or a password login, and says what is missing', () => {
    const rc = (body: string, env: NodeJS.ProcessEnv = {}) =>
      problems(`chat:\n  rocketchat:\n    url: https://rc.example\n${body}`, env);
    expect(rc('')).toEqual([
      'chat.rocketchat: needs a login: userId and token (a personal access token), or user and password',
    ]);
    expect(rc('    userId: abc\n')).toEqual([
      'chat.rocketchat.token: is required with userId (a personal access token of that user)',
    ]);
    expect(rc('    token: t0k\n')).toEqual([
      'chat.rocketchat.userId: is required with token (the id of the user the token belongs to)',
    ]);
    expect(rc('    userId: abc\n    token: t0k\n    user: coxswain\n    password: pw\n')).toEqual([
      'chat.rocketchat: set userId and token (a personal access token) or user and password, not both',
    ]);
    expect(rc('    userId: abc\n    token: t0k\n')).toEqual([]);
    expect(rc('    user: coxswain\n    password: pw\n')).toEqual([]);
    // The token from the environment (short name) or a file, never written in the file itself.
    expect(rc('    userId: abc\n', { COXSWAIN_ROCKETCHAT_TOKEN: 't0k' })).toEqual([]);
    const tokenFile = file('t0k-from-a-file\n');
    const config = loadConfig({
      path: file(
        `chat:\n  rocketchat:\n    url: https://rc.example\n    userId: abc\n    tokenFile: ${tokenFile}\n`,
      ),
      env: {},
    });
    expect(config.chat.rocketchat?.token).toBe('t0k-from-a-file');
  });

  it('reports YAML syntax errors with line and column', () => {
    const [problem] = problems('http:\n  port: [1, 2\n');
    expect(problem).toMatch(/c\d+\.yaml:\d+:\d+: /);
  });

  it('refuses a config that is not a mapping', () => {
    expect(problems('- a\n- b\n')[0]).toContain('the top level must be a mapping');
  });

  it('says when an explicit file is missing', () => {
    expect(() => loadConfig({ path: join(dir, 'nope.yaml'), env: {} })).toThrow(ConfigError);
  });

  it('runs on defaults when the default file is absent', () => {
    const config = loadConfig({ env: {} });
    expect(config.command).toBe('/ops');
    expect(config.store.driver).toBe('sqlite');
    expect(config.auth.bindings).toEqual([]);
  });

  it('wants postgres settings when the driver is postgres', () => {
    expect(problems('store:\n  driver: postgres\n')).toEqual([
      'store: driver is postgres but store.postgres.url is not set',
    ]);
  });
});

describe('environment overrides and secret files', () => {
  it('overrides any key with COXSWAIN_A__B, typed', () => {
    const config = loadConfig({
      path: file('http:\n  port: 8080\n'),
      env: {
        COXSWAIN_HTTP__PORT: '9090',
        COXSWAIN_COMMAND: '/cox',
        COXSWAIN_APPROVALS__REQUIRED: '["drill"]',
      },
    });
    expect(config.http.port).toBe(9090);
    expect(config.command).toBe('/cox');
    expect(config.approvals.required).toEqual(['drill']);
  });

  it('knows the short names', () => {
    const config = loadConfig({ path: file(''), env: { COXSWAIN_ALERT_WEBHOOK_TOKEN: 'abc' } });
    expect(config.alerts.webhook.token).toBe('abc');
  });

  it('reads *File keys and *_FILE variables, without the trailing newline', () => {
    const secret = join(dir, 'token');
    writeFileSync(secret, 's3cret\n');
    const fromYaml = loadConfig({ path: file(`alerts:\n  webhook:\n    tokenFile: ${secret}\n`), env: {} });
    expect(fromYaml.alerts.webhook.token).toBe('s3cret');
    const fromEnv = loadConfig({ path: file(''), env: { COXSWAIN_ALERT_WEBHOOK_TOKEN_FILE: secret } });
    expect(fromEnv.alerts.webhook.token).toBe('s3cret');
  });

  it('reports an unreadable secret file and a doubly set secret', () => {
    expect(problems('alerts:\n  webhook:\n    tokenFile: /no/such/file\n')).toEqual([
      'alerts.webhook.tokenFile: cannot read /no/such/file (ENOENT)',
    ]);
    expect(problems('alerts:\n  webhook:\n    token: a\n    tokenFile: /x\n')).toEqual([
      'alerts.webhook.tokenFile: set token or tokenFile, not both',
    ]);
  });

  it('leaves alone variables that are not configuration keys, and prototype keys', () => {
    const config = loadConfig({
      path: file(''),
      env: {
        COXSWAIN___PROTO____POLLUTED: 'yes',
        COXSWAIN_CONSTRUCTOR__X: 'y',
        COXSWAIN_NOT_A_KEY: '/elsewhere',
      },
    });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(config.command).toBe('/ops');
  });
});

describe('the example config', () => {
  const examplePath = new URL('../../../deploy/examples/coxswain.yaml', import.meta.url).pathname;

  it('is valid once its secret files exist', () => {
    const example = parseYaml(readExample(examplePath)) as Record<string, unknown>;
    const secrets = stripFiles(example);
    expect(secrets.length).toBeGreaterThan(0);
    expect(configSchema.safeParse(example).success).toBe(true);
  });

  it('lists the one Alertmanager the platform runs, on infra, reached through its Linkerd mirror', () => {
    // docs/platform/multi-cluster-overview.md: "AlertManager (infra cluster)"; coxswain runs on apps.
    const example = parseYaml(readExample(examplePath)) as { alertmanagers: { name: string; url: string }[] };
    expect(example.alertmanagers.map((a) => a.name)).toEqual(['infra']);
    expect(new URL(example.alertmanagers[0]?.url ?? '').hostname).toMatch(/-infra\.monitoring\.svc\./);
  });

  it('documents every key of the schema', () => {
    const text = readExample(examplePath);
    // A key that excludes another (chat.rocketchat's password login beside its token) is
    // documented as a commented-out alternative: `#   user: coxswain`.
    const missing = schemaKeys(configSchema).filter(
      (key) => !new RegExp(`^[\\s-]*(#\\s+)?${key}(File)?:`, 'm').test(text),
    );
    expect(missing).toEqual([]);
  });
});

import { readFileSync } from 'node:fs';

function readExample(path: string): string {
  return readFileSync(path, 'utf8');
}

/** Replaces `xFile` keys by a placeholder `x`, returning the keys replaced. */
function stripFiles(node: unknown, found: string[] = []): string[] {
  if (node && typeof node === 'object') {
    const tree = node as Record<string, unknown>;
    for (const key of Object.keys(tree)) {
      if (key.endsWith('File')) {
        tree[key.slice(0, -4)] = 'x'.repeat(40);
        delete tree[key];
        found.push(key);
      } else stripFiles(tree[key], found);
    }
  }
  return found;
}

/** Every object key anywhere in the schema. */
function schemaKeys(schema: z.ZodType): string[] {
  const keys = new Set<string>();
  const walk = (s: z.ZodType): void => {
    const def = (s as unknown as { _zod: { def: Record<string, unknown> } })._zod.def;
    if (s instanceof z.ZodObject) {
      for (const [key, child] of Object.entries(s.shape)) {
        keys.add(key);
        walk(child as z.ZodType);
      }
      return;
    }
    for (const inner of ['innerType', 'in', 'element', 'schema'] as const) {
      const child = def[inner];
      if (child instanceof z.ZodType) walk(child);
    }
    if (Array.isArray(def.options))
      for (const option of def.options) if (option instanceof z.ZodType) walk(option);
  };
  walk(schema);
  return [...keys];
}

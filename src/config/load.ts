/**
 * Loads the configuration: one YAML file, then COXSWAIN_* environment overrides, then secrets
 * read from `*File` keys (or `*_FILE` variables), then the schema. Every problem is collected
 * and reported with its path, so a bad file is fixed in one go.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isMap, parseDocument } from 'yaml';
import type { z } from 'zod';
import { type Config, configSchema } from './schema.js';

export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`invalid configuration (${source}):\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Tree = Record<string, unknown>;

/** Short names for the overrides people set most; the general form is COXSWAIN_A__B__C. */
const ENV_ALIASES: Record<string, string> = {
  COXSWAIN_ALERT_WEBHOOK_TOKEN: 'alerts.webhook.token',
  COXSWAIN_MATTERMOST_TOKEN: 'chat.mattermost.token',
  COXSWAIN_ROCKETCHAT_PASSWORD: 'chat.rocketchat.password',
  COXSWAIN_ROCKETCHAT_TOKEN: 'chat.rocketchat.token',
  COXSWAIN_ROCKETCHAT_USER_ID: 'chat.rocketchat.userId',
  COXSWAIN_SIGNING_KEY: 'security.signingKey',
  COXSWAIN_DATABASE_URL: 'store.postgres.url',
  COXSWAIN_LOG_LEVEL: 'log.level',
};
/** Variables that are about starting coxswain, not configuration keys. */
const ENV_NOT_CONFIG = new Set(['COXSWAIN_CONFIG']);

export const DEFAULT_CONFIG_PATH = './coxswain.yaml';

export interface LoadOptions {
  /** The file; when it is the default and absent, coxswain runs on defaults. */
  path?: string;
  env?: NodeJS.ProcessEnv;
}

export function loadConfig(options: LoadOptions = {}): Config {
  const env = options.env ?? process.env;
  const explicit = options.path !== undefined;
  const path = options.path ?? DEFAULT_CONFIG_PATH;
  const problems: string[] = [];

  let tree: Tree = {};
  if (existsSync(path)) {
    tree = readYaml(path, problems);
  } else if (explicit) {
    throw new ConfigError(path, [`${path}: no such file`]);
  }

  applyEnvOverrides(tree, env, problems);
  resolveSecretFiles(tree, '', problems);
  if (problems.length > 0) throw new ConfigError(path, problems);

  const parsed = configSchema.safeParse(tree);
  if (!parsed.success) throw new ConfigError(path, parsed.error.issues.flatMap(formatIssue));
  return parsed.data;
}

function readYaml(path: string, problems: string[]): Tree {
  const text = readFileSync(path, 'utf8');
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  for (const error of doc.errors) {
    const where = error.linePos?.[0];
    problems.push(`${path}${where ? `:${where.line}:${where.col}` : ''}: ${error.message.split('\n')[0]}`);
  }
  if (doc.errors.length > 0) return {};
  if (doc.contents === null) return {};
  if (!isMap(doc.contents)) {
    problems.push(`${path}: the top level must be a mapping of keys (command, chat, store, ...)`);
    return {};
  }
  return doc.toJS() as Tree;
}

function applyEnvOverrides(tree: Tree, env: NodeJS.ProcessEnv, problems: string[]): void {
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith('COXSWAIN_') || raw === undefined || ENV_NOT_CONFIG.has(name)) continue;
    const isFile = name.endsWith('_FILE');
    const base = isFile ? name.slice(0, -'_FILE'.length) : name;
    const path = ENV_ALIASES[base] ?? envNameToPath(base);
    if (!path) continue;
    let value: unknown;
    if (isFile) {
      value = readSecret(raw, name, problems);
    } else {
      value = parseScalar(raw);
    }
    if (value !== undefined) setPath(tree, path.split('.'), value);
  }
}

/**
 * COXSWAIN_STORE__POSTGRES__URL → store.postgres.url; COXSWAIN_HTTP__MAX_BODY → http.maxBody.
 * Names whose first level is no configuration key belong to something else (test tooling,
 * wrappers) and are left alone; below that level, the schema catches typos.
 */
function envNameToPath(name: string): string | undefined {
  const rest = name.slice('COXSWAIN_'.length);
  const segments = rest
    .split('__')
    .map((segment) => segment.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()));
  if (segments.some((segment) => !/^[a-z][a-zA-Z0-9]*$/.test(segment))) return undefined;
  if (!Object.hasOwn(configSchema.shape, segments[0] as string)) return undefined;
  return segments.join('.');
}

/** Environment values are strings; numbers, booleans and JSON lists are read as such. */
function parseScalar(raw: string): unknown {
  if (/^-?\d+$/.test(raw)) return Number(raw);
  if (raw === 'true' || raw === 'false') return raw === 'true';
  if (raw.startsWith('[') || raw.startsWith('{')) {
    try {
      return JSON.parse(raw);
    } catch {
      return raw;
    }
  }
  return raw;
}

/** Replaces every `xFile: /path` with `x: <file contents>`, at any depth. */
function resolveSecretFiles(node: unknown, prefix: string, problems: string[]): void {
  if (Array.isArray(node)) {
    node.forEach((item, index) => {
      resolveSecretFiles(item, `${prefix}[${index}]`, problems);
    });
    return;
  }
  if (node === null || typeof node !== 'object') return;
  const tree = node as Tree;
  for (const key of Object.keys(tree)) {
    const where = prefix ? `${prefix}.${key}` : key;
    if (key.endsWith('File') && key.length > 'File'.length && typeof tree[key] === 'string') {
      const target = key.slice(0, -'File'.length);
      if (tree[target] !== undefined) {
        problems.push(`${where}: set ${target} or ${key}, not both`);
      } else {
        const value = readSecret(tree[key] as string, where, problems);
        if (value !== undefined) tree[target] = value;
      }
      delete tree[key];
    } else {
      resolveSecretFiles(tree[key], where, problems);
    }
  }
}

function readSecret(file: string, where: string, problems: string[]): string | undefined {
  try {
    // Secret files from Kubernetes or `echo` end with a newline that is not part of the secret.
    return readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    problems.push(`${where}: cannot read ${file} (${code})`);
    return undefined;
  }
}

function setPath(tree: Tree, path: string[], value: unknown): void {
  let node = tree;
  for (const key of path.slice(0, -1)) {
    // Never walk into prototypes: an environment name is outside input too.
    if (key === '__proto__' || key === 'constructor' || key === 'prototype') return;
    const next = node[key];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) node[key] = {};
    node = node[key] as Tree;
  }
  const last = path[path.length - 1] as string;
  if (last === '__proto__' || last === 'constructor' || last === 'prototype') return;
  node[last] = value;
}

/** One line per problem; an issue about several unknown keys gives a line for each. */
export function formatIssue(issue: z.core.$ZodIssue): string[] {
  const path = issue.path.map(String).join('.') || '(top level)';
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map(
        (key) => `${issue.path.length ? `${path}.` : ''}${key}: unknown key (check its spelling)`,
      );
    case 'invalid_type':
      // zod does not keep the input in issues by default; its message says what it received.
      return [
        issue.message.endsWith('received undefined')
          ? `${path}: is required`
          : `${path}: must be ${article(issue.expected)}`,
      ];
    case 'invalid_value':
      return [`${path}: must be one of ${issue.values.map((v) => String(v)).join(', ')}`];
    default:
      return [`${path}: ${issue.message}`];
  }
}

function article(expected: string): string {
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}

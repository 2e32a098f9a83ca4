/**
 * The test stack's environment, read from the env file `test/stack/up.sh` writes
 * (`$STACK_STATE_DIR/env`, default `test/stack/.state/env`): shell `KEY=value` lines.
 * Node builtins only, so the vitest global setup can use it too.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export type StackCluster = 'infra' | 'apps';

/** Every key up.sh writes. Values are strings, as in process.env; ports are decimal strings. */
export interface StackEnv {
  STACK_STATE_DIR: string;
  /** Directory of the built binaries (kube-apiserver, kubectl, etcd, kwok, alertmanager, amtool, ...). */
  STACK_BIN: string;
  /** The kubectl built from the pinned Kubernetes version. */
  KUBECTL: string;
  AMTOOL: string;
  /** Admin (system:masters) kubeconfigs with embedded client certificates. */
  KUBECONFIG_INFRA: string;
  KUBECONFIG_APPS: string;
  KUBE_APISERVER_URL_INFRA: string;
  KUBE_APISERVER_URL_APPS: string;
  /** CA certificate of each API server (PEM file). */
  KUBE_CA_INFRA: string;
  KUBE_CA_APPS: string;
  /** kube-apiserver audit logs (JSON lines, level Metadata). */
  AUDIT_LOG_INFRA: string;
  AUDIT_LOG_APPS: string;
  APISERVER_PORT_INFRA: string;
  APISERVER_PORT_APPS: string;
  ETCD_PORT_INFRA: string;
  ETCD_PEER_PORT_INFRA: string;
  ETCD_PORT_APPS: string;
  ETCD_PEER_PORT_APPS: string;
  ALERTMANAGER_PORT: string;
  ALERTMANAGER_URL: string;
  PROMETHEUS_PORT: string;
  PROMETHEUS_URL: string;
  EXPORTER_PORT: string;
  /** The test exporter: POST `${EXPORTER_URL}/flag/1` makes CoxswainTestFlag fire, `/flag/0` resolves it. */
  EXPORTER_URL: string;
  EXPORTER_STATE_FILE: string;
  /** kwok's kubelet-like server (pods/log from test/stack/kwok/), on 127.0.0.1 over TLS. */
  KWOK_PORT_INFRA: string;
  KWOK_PORT_APPS: string;
  /** Port the bot under test must listen on: Alertmanager's webhook posts to ALERT_WEBHOOK_URL. */
  BOT_PORT: string;
  ALERT_WEBHOOK_URL: string;
  /** Bearer token Alertmanager sends with every webhook (Authorization: Bearer <token>). */
  ALERT_WEBHOOK_TOKEN: string;
  /** Replicas of the load/scale Deployment on apps (0: not created). */
  STACK_PODS: string;
}

const REQUIRED: (keyof StackEnv)[] = [
  'STACK_STATE_DIR',
  'STACK_BIN',
  'KUBECTL',
  'KUBECONFIG_INFRA',
  'KUBECONFIG_APPS',
  'ALERTMANAGER_URL',
  'PROMETHEUS_URL',
  'EXPORTER_URL',
  'BOT_PORT',
  'ALERT_WEBHOOK_TOKEN',
];

/** Directory of test/stack (this file's directory). */
export const stackDir: string = dirname(fileURLToPath(import.meta.url));

/** The state directory: $STACK_STATE_DIR (relative to the repository root if relative) or test/stack/.state. */
export function stackStateDir(): string {
  const dir = process.env.STACK_STATE_DIR;
  if (!dir) return join(stackDir, '.state');
  return isAbsolute(dir) ? dir : resolve(stackDir, '..', '..', dir);
}

export function stackEnvFile(): string {
  return join(stackStateDir(), 'env');
}

/** Parses `KEY=value` lines; ignores blank lines and `#` comments. */
export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m?.[1]) out[m[1]] = m[2] ?? '';
  }
  return out;
}

/** Reads the running stack's env file. Throws if there is none (start it with `npm run stack:up`). */
export function loadStackEnv(file: string = stackEnvFile()): StackEnv {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new Error(
      `no test stack env file at ${file}: run \`npm run stack:up\` (or the vitest stack project)`,
    );
  }
  const env = parseEnvFile(text);
  const missing = REQUIRED.filter((k) => !env[k]);
  if (missing.length) throw new Error(`stack env file ${file} lacks ${missing.join(', ')}`);
  return env as unknown as StackEnv;
}

export function kubeconfigFor(env: StackEnv, cluster: StackCluster): string {
  return cluster === 'infra' ? env.KUBECONFIG_INFRA : env.KUBECONFIG_APPS;
}

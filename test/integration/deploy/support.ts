/**
 * What the deploy tests share: helm (built from the Go module proxy by test/stack/helm.sh),
 * rendering the chart into parsed objects, and HTTPS calls to the stack's API servers with a
 * bearer token and impersonation headers, as the bot makes them.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import type { StackEnv } from '../../stack/env.js';
import { kubectl } from '../../stack/kubectl.js';

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
export const chartDir = `${repoRoot}charts/coxswain`;
export const allFeaturesValues = `${chartDir}/ci/all-features-values.yaml`;
/** The namespace the deploy tests install into, as the README does. */
export const NAMESPACE = 'coxswain';

let helmPath: string | undefined;

/** The helm binary; test/stack/helm.sh builds it on first use (about a minute) and caches it. */
export function helm(): string {
  if (helmPath) return helmPath;
  const r = spawnSync('bash', [`${repoRoot}test/stack/helm.sh`], { encoding: 'utf8', timeout: 900_000 });
  if (r.status !== 0) throw new Error(`test/stack/helm.sh failed (${r.status}): ${r.stderr}`);
  helmPath = r.stdout.trim();
  return helmPath;
}

export interface Run {
  status: number;
  stdout: string;
  stderr: string;
}

export function run(
  cmd: string,
  args: string[],
  options: { input?: string; env?: NodeJS.ProcessEnv } = {},
): Run {
  const r = spawnSync(cmd, args, {
    encoding: 'utf8',
    input: options.input,
    env: options.env ?? process.env,
    maxBuffer: 64 * 1024 * 1024,
    timeout: 120_000,
  });
  return { status: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? String(r.error ?? '') };
}

/** `helm template` of the chart; throws with helm's message when it fails. */
export function renderText(args: string[] = []): string {
  const r = run(helm(), ['template', 'coxswain', chartDir, '--namespace', NAMESPACE, ...args]);
  if (r.status !== 0) throw new Error(`helm template ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

// biome-ignore lint/suspicious/noExplicitAny: rendered manifests are free-form; tests index into them.
export type Manifest = Record<string, any>;

export function parseManifests(text: string): Manifest[] {
  return parseAllDocuments(text)
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(`bad YAML: ${doc.errors[0]?.message}`);
      return doc.toJS() as Manifest | null;
    })
    .filter((m): m is Manifest => m !== null && typeof m === 'object');
}

export function render(args: string[] = []): Manifest[] {
  return parseManifests(renderText(args));
}

export function find(manifests: Manifest[], kind: string, name?: string, namespace?: string): Manifest {
  const hit = manifests.find(
    (m) =>
      m.kind === kind &&
      (name === undefined || m.metadata?.name === name) &&
      (namespace === undefined || m.metadata?.namespace === namespace),
  );
  if (!hit)
    throw new Error(`no ${kind}${name ? ` ${name}` : ''}${namespace ? ` in ${namespace}` : ''} rendered`);
  return hit;
}

export const RBAC_KINDS = new Set([
  'Namespace',
  'ServiceAccount',
  'Role',
  'RoleBinding',
  'ClusterRole',
  'ClusterRoleBinding',
]);

/** A kubeconfig's first cluster: server URL and CA (PEM). */
export function clusterOf(kubeconfigPath: string): { server: string; ca: string } {
  const doc = parseManifests(readFileSync(kubeconfigPath, 'utf8'))[0] as Manifest;
  const cluster = doc.clusters[0].cluster;
  const ca = cluster['certificate-authority-data']
    ? Buffer.from(cluster['certificate-authority-data'], 'base64').toString('utf8')
    : readFileSync(cluster['certificate-authority'], 'utf8');
  return { server: cluster.server, ca };
}

export interface ApiCall {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT';
  path: string;
  body?: unknown;
  contentType?: string;
  headers?: Record<string, string>;
}

/** One request to an API server with a bearer token; resolves with the status and parsed body. */
export function apiCall(
  target: { server: string; ca: string; token: string },
  call: ApiCall,
): Promise<{ status: number; body: Manifest }> {
  const url = new URL(call.path, target.server);
  const payload = call.body === undefined ? undefined : JSON.stringify(call.body);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: call.method,
        ca: target.ca,
        headers: {
          Authorization: `Bearer ${target.token}`,
          Accept: 'application/json',
          ...(payload !== undefined
            ? {
                'Content-Type': call.contentType ?? 'application/json',
                'Content-Length': Buffer.byteLength(payload),
              }
            : {}),
          ...call.headers,
        },
      },
      (res) => {
        let data = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          data += chunk;
        });
        res.on('end', () => {
          let body: Manifest = {};
          try {
            body = JSON.parse(data) as Manifest;
          } catch {
            body = { raw: data };
          }
          resolve({ status: res.statusCode ?? 0, body });
        });
      },
    );
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

/** Creates (or leaves) namespaces; the bot's own one enforces and warns on the restricted profile. */
export function ensureNamespaces(stack: StackEnv, cluster: 'apps' | 'infra', names: string[]): void {
  const docs = names.map((name) => ({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name,
      ...(name === NAMESPACE || name === 'coxswain-drills'
        ? {
            labels: {
              'pod-security.kubernetes.io/enforce': 'restricted',
              'pod-security.kubernetes.io/warn': 'restricted',
            },
          }
        : {}),
    },
  }));
  kubectl(
    stack,
    cluster,
    ['apply', '--server-side', '--field-manager=coxswain-deploy-test', '-f', '-'],
    JSON.stringify({ apiVersion: 'v1', kind: 'List', items: docs }),
  );
}

/** Makes every namespace the manifests (YAML text or parsed) put objects in, or create. */
export function ensureNamespacesFor(
  stack: StackEnv,
  cluster: 'apps' | 'infra',
  manifests: string | Manifest[],
): void {
  const docs = typeof manifests === 'string' ? parseManifests(manifests) : manifests;
  const names = new Set<string>();
  for (const m of docs) {
    if (m.metadata?.namespace) names.add(m.metadata.namespace);
    if (m.kind === 'Namespace') names.add(m.metadata.name);
  }
  ensureNamespaces(stack, cluster, [...names]);
}

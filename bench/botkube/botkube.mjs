// Botkube v1.14.0 as a platform team would run it outside a cluster (its CONTRIBUTING.md, "Build
// and run locally": the agent binary, a config file in BOTKUBE_CONFIG_PATHS, a kubeconfig), with
// its plugins fetched the way the agent always fetches them: from a plugin repository index over
// HTTP. Here the index and every binary it names (the two plugins and the executor's kubectl
// dependency, all built by build.sh) are served by a small node:http server on loopback, so
// nothing is downloaded from the internet.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';

export const BOTKUBE_VERSION = 'v1.14.0';
export const cacheDir = () =>
  process.env.BOTKUBE_CACHE ??
  join(
    process.env.STACK_CACHE_ROOT ??
      join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'coxswain-stack'),
    `botkube-${BOTKUBE_VERSION}`,
  );

const sha256 = (path) => createHash('sha256').update(readFileSync(path)).digest('hex');

/**
 * The plugin repository: index.yaml in the format of Botkube's plugins-index.yaml (pkg/plugin/
 * index.go: entries with urls per platform, a sha256 checksum the agent's go-getter verifies, and
 * the kubectl dependency the executor declares in its metadata), and the binaries it points to.
 */
export async function startPluginServer() {
  const plugins = join(cacheDir(), 'plugins');
  const server = createServer((req, res) => {
    const name = decodeURIComponent(new URL(req.url, 'http://x').pathname.slice(1));
    if (name === 'index.yaml') {
      res.writeHead(200, { 'content-type': 'application/yaml' });
      res.end(index);
      return;
    }
    if (!readdirSync(plugins).includes(name)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, {
      'content-type': 'application/octet-stream',
      'content-length': statSync(join(plugins, name)).size,
    });
    createReadStream(join(plugins, name)).pipe(res);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${server.address().port}`;
  const platform = { os: 'linux', architecture: 'amd64' };
  const entry = (type, name, description, dependencies) => ({
    name,
    type,
    description,
    version: BOTKUBE_VERSION,
    urls: [
      {
        url: `${base}/${type}_${name}_linux_amd64`,
        checksum: sha256(join(plugins, `${type}_${name}_linux_amd64`)),
        platform,
        ...(dependencies ? { dependencies } : {}),
      },
    ],
  });
  const index = stringify({
    entries: [
      entry(
        'executor',
        'kubectl',
        'Run the Kubectl CLI commands directly from your favorite communication platform.',
        {
          kubectl: { url: `${base}/kubectl_linux_amd64` },
        },
      ),
      entry(
        'source',
        'kubernetes',
        'The Kubernetes source plugin allows you to consume events from Kubernetes.',
      ),
    ],
  });
  return { url: `${base}/index.yaml`, index, close: () => server.close() };
}

/**
 * The agent's configuration: the Mattermost bot (token, team, one channel with the kubectl
 * executor and the Kubernetes source bound), the kubectl executor, and the source as the Helm
 * chart's `k8s-err-events` ships it (Warning events of the chart's resource list, all
 * namespaces). Both plugins run with the chart's default plugin RBAC: impersonating the group
 * `botkube-plugins-default`, which prepareCluster() binds to read-only access. Everything that
 * would call out of the machine is off: analytics, the upgrade notifier (GitHub), remote config.
 */
export function writeConfig(dir, { mm, bot, pluginIndexUrl, kubeconfig, healthPort, metricsPort }) {
  const context = {
    rbac: { group: { type: 'Static', prefix: '', static: { values: ['botkube-plugins-default'] } } },
  };
  const config = {
    communications: {
      'default-group': {
        mattermost: {
          enabled: true,
          botName: bot.username,
          url: mm.url,
          token: bot.token,
          team: mm.teamName,
          channels: {
            default: {
              name: mm.channelName,
              notification: { disabled: false },
              bindings: { executors: ['k8s-default-tools'], sources: ['k8s-err-events'] },
            },
          },
        },
      },
    },
    executors: {
      'k8s-default-tools': {
        'botkube/kubectl': {
          displayName: 'Kubectl',
          enabled: true,
          config: { defaultNamespace: 'default' },
          context,
        },
      },
    },
    sources: {
      'k8s-err-events': {
        displayName: 'Kubernetes Errors',
        'botkube/kubernetes': {
          enabled: true,
          context,
          config: {
            namespaces: { include: ['.*'] },
            event: { types: ['error'] },
            resources: [
              'v1/pods',
              'v1/services',
              'networking.k8s.io/v1/ingresses',
              'v1/nodes',
              'v1/namespaces',
              'v1/persistentvolumes',
              'v1/persistentvolumeclaims',
              'v1/configmaps',
              'rbac.authorization.k8s.io/v1/roles',
              'rbac.authorization.k8s.io/v1/rolebindings',
              'rbac.authorization.k8s.io/v1/clusterrolebindings',
              'rbac.authorization.k8s.io/v1/clusterroles',
              'apps/v1/deployments',
              'apps/v1/statefulsets',
              'apps/v1/daemonsets',
              'batch/v1/jobs',
            ].map((type) => ({ type })),
          },
        },
      },
    },
    aliases: { kc: { command: 'kubectl', displayName: 'Kubectl alias' } },
    analytics: { disable: true },
    configWatcher: { enabled: false },
    settings: {
      clusterName: 'apps',
      upgradeNotifier: false,
      kubeconfig,
      healthPort: String(healthPort),
      metricsPort: String(metricsPort),
      log: { level: process.env.BENCH_BOTKUBE_LOG ?? 'info', disableColors: true, formatter: 'text' },
      systemConfigMap: { name: 'botkube-system', namespace: 'botkube' },
      persistentConfig: {
        startup: {
          configMap: { name: 'botkube-startup-config', namespace: 'botkube' },
          fileName: '_startup_state.yaml',
        },
        runtime: {
          configMap: { name: 'botkube-runtime-config', namespace: 'botkube' },
          fileName: '_runtime_state.yaml',
        },
      },
    },
    plugins: {
      cacheDir: join(dir, 'plugins'),
      repositories: { botkube: { url: pluginIndexUrl } },
      incomingWebhook: { enabled: false },
      restartPolicy: { type: 'DeactivatePlugin', threshold: 10 },
      healthCheckInterval: '10s',
    },
  };
  const path = join(dir, 'botkube.yaml');
  writeFileSync(path, stringify(config));
  return path;
}

/** What the agent needs in the cluster (the Helm chart creates the same). */
export function clusterManifest() {
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'botkube' } },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'botkube-plugins-default' },
      rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['get', 'watch', 'list'] }],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'botkube-plugins-default' },
      roleRef: {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'ClusterRole',
        name: 'botkube-plugins-default',
      },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'botkube-plugins-default' }],
    },
  ];
}

/** Starts the agent; resolves once it says it is connected to Mattermost and both plugins run. */
export async function startAgent(dir, configPath, kubeconfig) {
  mkdirSync(join(dir, 'plugins'), { recursive: true });
  const child = spawn(join(cacheDir(), 'bin', 'botkube-agent'), [], {
    cwd: dir,
    env: { PATH: process.env.PATH, HOME: dir, BOTKUBE_CONFIG_PATHS: configPath, KUBECONFIG: kubeconfig },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const append = (chunk) => {
    log = (log + chunk).slice(-200_000);
  };
  child.stdout.setEncoding('utf8').on('data', append);
  child.stderr.setEncoding('utf8').on('data', append);
  const agent = { child, pid: child.pid, log: () => log };
  const deadline = Date.now() + 180_000;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`botkube-agent exited (${child.exitCode}):\n${log.slice(-4000)}`);
    if (log.includes('Botkube connected to Mattermost') && descendants(child.pid).length >= 2) return agent;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`botkube-agent did not connect within 180 s:\n${log.slice(-4000)}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Every process below `pid` (plugins, and a kubectl a plugin is running at that moment). */
export function descendants(pid) {
  const children = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // exited meanwhile
    }
  }
  const out = [];
  const walk = (p) => {
    for (const c of children.get(p) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(pid);
  return out;
}

/** VmRSS in MiB of a process and, summed, of it and all its descendants; with their names. */
export function treeRss(pid) {
  const one = (p) => {
    try {
      const status = readFileSync(`/proc/${p}/status`, 'utf8');
      // The program's file name (comm in /proc is cut at 15 characters).
      const argv0 = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0')[0] ?? '';
      return {
        pid: p,
        name: argv0.split('/').at(-1) || (/Name:\s+(\S+)/.exec(status)?.[1] ?? '?'),
        mib: Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024,
      };
    } catch {
      return { pid: p, name: '(exited)', mib: 0 };
    }
  };
  const parts = [one(pid), ...descendants(pid).map(one)];
  return { total: parts.reduce((s, p) => s + p.mib, 0), parts };
}

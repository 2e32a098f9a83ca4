/**
 * Starts a real Mattermost 11.4 server for the integration suite, on loopback:
 * - a fresh PostgreSQL 15 cluster (initdb as the `postgres` OS user in a temp dir, trust auth,
 *   a free port, Unix socket in the same dir) with one empty database;
 * - the server built by build.sh, configured by environment (see docs/chat-servers.md),
 *   on a free port, rate-limited per user (so the bot's bursts meet real 429s without slowing
 *   the test driver);
 * - through the API: the admin (the first user is system admin), team `ops`, users alice and
 *   bob, channel `ops-alerts`, the bot `coxswain` (team admin, so it can own the command for
 *   its configured owner) and its personal access token.
 * Node builtins only. `stop()` kills both servers and removes the temp dir.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../support/free-port.js';

export const MM_VERSION = '11.4.0';
/** PostgreSQL 15 as Debian 12 ships it; another installed major version does as well. */
const PG_BIN =
  process.env.MM_PG_BIN ??
  (existsSync('/usr/lib/postgresql/15/bin/postgres')
    ? '/usr/lib/postgresql/15/bin'
    : `/usr/lib/postgresql/${readdirSync('/usr/lib/postgresql').sort().at(-1) ?? '15'}/bin`);
const here = dirname(fileURLToPath(import.meta.url));

export interface MattermostStack {
  url: string;
  dir: string;
  teamId: string;
  teamName: string;
  channelId: string;
  channelName: string;
  admin: { id: string; username: string; token: string };
  alice: { id: string; username: string; token: string };
  bob: { id: string; username: string; token: string };
  bot: { id: string; username: string; token: string };
  /** Seconds: PostgreSQL ready, Mattermost answering ping, accounts created. */
  timings: { postgres: number; server: number; accounts: number };
}

export function mattermostCache(): string {
  const root =
    process.env.STACK_CACHE_ROOT ??
    join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'coxswain-stack');
  return process.env.MM_CACHE ?? join(root, `mattermost-${MM_VERSION}`);
}

export { freePort };

/** Builds the server once (a no-op when the cache has it). */
export function buildMattermost(): void {
  execFileSync('bash', [join(here, 'build.sh')], { stdio: ['ignore', 'inherit', 'inherit'] });
}

const children: ChildProcess[] = [];
let pgData: string | undefined;

export async function startMattermost(options: { rateLimitPerSec?: number; burst?: number } = {}) {
  const t0 = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'coxswain-mm-'));
  chmodSync(dir, 0o755);
  const pgDir = join(dir, 'pg');
  mkdirSync(pgDir);
  const pg = getPostgresIds();
  chownSync(pgDir, pg.uid, pg.gid);
  const pgPort = await freePort();
  asPostgres([
    `${PG_BIN}/initdb`,
    '-D',
    join(pgDir, 'data'),
    '-A',
    'trust',
    '-U',
    'postgres',
    '-E',
    'UTF8',
    '--no-sync',
  ]);
  pgData = join(pgDir, 'data');
  asPostgres([
    `${PG_BIN}/pg_ctl`,
    '-D',
    pgData,
    '-l',
    join(pgDir, 'postgres.log'),
    '-w',
    '-o',
    `-p ${pgPort} -k ${pgDir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c synchronous_commit=off`,
    'start',
  ]);
  asPostgres([`${PG_BIN}/psql`, '-h', '127.0.0.1', '-p', String(pgPort), '-c', 'CREATE DATABASE mattermost']);
  const tPg = Date.now();

  const cache = mattermostCache();
  if (!existsSync(join(cache, 'bin', 'mattermost'))) {
    stopMattermost({ dir });
    throw new Error(`no Mattermost server in ${cache}: run test/stack/mattermost/build.sh`);
  }
  const work = join(dir, 'mm');
  mkdirSync(work);
  for (const d of ['i18n', 'templates', 'fonts']) symlinkSync(join(cache, d), join(work, d));
  mkdirSync(join(work, 'data'));
  mkdirSync(join(work, 'logs'));
  writeFileSync(join(work, 'config.json'), '{}');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: work,
    MM_SQLSETTINGS_DRIVERNAME: 'postgres',
    MM_SQLSETTINGS_DATASOURCE: `postgres://postgres@127.0.0.1:${pgPort}/mattermost?sslmode=disable&connect_timeout=10`,
    MM_SERVICESETTINGS_LISTENADDRESS: `127.0.0.1:${port}`,
    MM_SERVICESETTINGS_SITEURL: url,
    MM_SERVICESETTINGS_ALLOWEDUNTRUSTEDINTERNALCONNECTIONS: '127.0.0.1 localhost',
    MM_SERVICESETTINGS_ENABLEBOTACCOUNTCREATION: 'true',
    MM_SERVICESETTINGS_ENABLEUSERACCESSTOKENS: 'true',
    MM_SERVICESETTINGS_ENABLESECURITYFIXALERT: 'false',
    MM_SERVICESETTINGS_ENABLELOCALMODE: 'false',
    MM_PLUGINSETTINGS_ENABLE: 'false',
    MM_FILESETTINGS_DIRECTORY: join(work, 'data'),
    MM_LOGSETTINGS_FILELOCATION: join(work, 'logs'),
    MM_LOGSETTINGS_ENABLECONSOLE: 'false',
    MM_LOGSETTINGS_ENABLEDIAGNOSTICS: 'false',
    MM_EMAILSETTINGS_SENDEMAILNOTIFICATIONS: 'false',
    MM_TEAMSETTINGS_ENABLEOPENSERVER: 'true',
    MM_RATELIMITSETTINGS_ENABLE: 'true',
    MM_RATELIMITSETTINGS_PERSEC: String(options.rateLimitPerSec ?? 10),
    MM_RATELIMITSETTINGS_MAXBURST: String(options.burst ?? 20),
    MM_RATELIMITSETTINGS_VARYBYREMOTEADDR: 'false',
    MM_RATELIMITSETTINGS_VARYBYUSER: 'true',
  };
  const server = spawn(join(cache, 'bin', 'mattermost'), ['server', '--config', join(work, 'config.json')], {
    cwd: work,
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.push(server);
  let stderr = '';
  server.on('error', (error) => {
    stderr += `\n${error.message}`;
  });
  server.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  await waitFor(
    async () => (await fetch(`${url}/api/v4/system/ping`).catch(() => undefined))?.ok === true,
    120_000,
    () => `Mattermost did not answer ${url}/api/v4/system/ping; stderr: ${stderr}; logs in ${work}/logs`,
    () => server.exitCode === null,
  );
  const tServer = Date.now();

  const api = new Api(url);
  const admin = await api.createUser('admin');
  api.token = await api.login('admin');
  const team = await api.call<{ id: string }>('POST', '/teams', {
    name: 'ops',
    display_name: 'Ops',
    type: 'O',
  });
  const alice = await api.createUser('alice');
  const bob = await api.createUser('bob');
  const bot = await api.call<{ user_id: string; username: string }>('POST', '/bots', {
    username: 'coxswain',
    display_name: 'coxswain',
  });
  for (const id of [alice.id, bob.id, bot.user_id])
    await api.call('POST', `/teams/${team.id}/members`, { team_id: team.id, user_id: id });
  await api.call('PUT', `/teams/${team.id}/members/${bot.user_id}/roles`, { roles: 'team_user team_admin' });
  const botToken = await api.call<{ token: string }>('POST', `/users/${bot.user_id}/tokens`, {
    description: 'tests',
  });
  const channel = await api.call<{ id: string }>('POST', '/channels', {
    team_id: team.id,
    name: 'ops-alerts',
    display_name: 'ops-alerts',
    type: 'O',
  });
  // The bot hears mentions only where it is a member, as in production: someone invites it.
  for (const id of [alice.id, bob.id, bot.user_id])
    await api.call('POST', `/channels/${channel.id}/members`, { user_id: id });
  const stack: MattermostStack = {
    url,
    dir,
    teamId: team.id,
    teamName: 'ops',
    channelId: channel.id,
    channelName: 'ops-alerts',
    admin: { id: admin.id, username: 'admin', token: api.token },
    alice: { ...alice, token: await api.login('alice') },
    bob: { ...bob, token: await api.login('bob') },
    bot: { id: bot.user_id, username: bot.username, token: botToken.token },
    timings: {
      postgres: (tPg - t0) / 1000,
      server: (tServer - tPg) / 1000,
      accounts: (Date.now() - tServer) / 1000,
    },
  };
  return stack;
}

export function stopMattermost(stack?: { dir: string }): void {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGTERM');
  if (pgData) {
    try {
      asPostgres([`${PG_BIN}/pg_ctl`, '-D', pgData, '-m', 'immediate', 'stop']);
    } catch {
      // Already down.
    }
    pgData = undefined;
  }
  if (stack && !process.env.MM_KEEP) rmSync(stack.dir, { recursive: true, force: true });
}

const PASSWORD = 'Coxswain-test-1!';

/** A small REST driver for setting up and for tests acting as people. */
export class Api {
  token?: string;
  constructor(readonly url: string) {}

  async call<T = unknown>(method: string, path: string, body?: unknown, token = this.token): Promise<T> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    const init: RequestInit = { method, headers };
    if (body !== undefined) init.body = JSON.stringify(body);
    const response = await fetch(`${this.url}/api/v4${path}`, init);
    const text = await response.text();
    if (!response.ok)
      throw new ApiError(`${method} ${path} → ${response.status}: ${text.slice(0, 300)}`, response.status);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  async createUser(username: string): Promise<{ id: string; username: string }> {
    const user = await this.call<{ id: string }>('POST', '/users', {
      username,
      email: `${username}@example.test`,
      password: PASSWORD,
    });
    return { id: user.id, username };
  }

  async login(username: string): Promise<string> {
    const response = await fetch(`${this.url}/api/v4/users/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ login_id: username, password: PASSWORD }),
    });
    const token = response.headers.get('token');
    if (!response.ok || !token) throw new Error(`login ${username} failed: ${response.status}`);
    return token;
  }
}

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

function getPostgresIds(): { uid: number; gid: number } {
  const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
  return { uid, gid };
}

function asPostgres(argv: string[]): void {
  const command = process.getuid?.() === 0 ? ['runuser', '-u', 'postgres', '--', ...argv] : argv;
  execFileSync(command[0] as string, command.slice(1), { stdio: ['ignore', 'ignore', 'pipe'], cwd: '/' });
}

async function waitFor(
  check: () => Promise<boolean>,
  timeoutMs: number,
  message: () => string,
  alive: () => boolean = () => true,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    if (!alive()) throw new Error(`exited: ${message()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(message());
}

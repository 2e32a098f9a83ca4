// A minimal Mattermost-protocol chat server for the alert benchmarks: just enough of REST v4
// (users/me, teams by name, channels by name, create and patch posts) and of the WebSocket
// (authentication challenge, `hello`) for the bot's real Mattermost adapter (Client4 and the
// WebSocketClient from @mattermost/client) to start and post. It is not the real Mattermost
// 11.4 server the `mattermost` test project runs: that one rate-limits, stores every post in
// PostgreSQL and costs far more per post than the bot, so the figures would be Mattermost's.
// Every post and patch is stamped with process.hrtime (CLOCK_MONOTONIC, the same clock in every
// process on the machine) when its body has arrived, so the load generator can subtract the
// time it sent the webhook.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { WebSocketServer } from 'ws';

const id = () => randomBytes(13).toString('hex').slice(0, 26);

export async function startChatDouble({ token, teams = ['platform'], channels = [] } = {}) {
  const teamIds = new Map(teams.map((name) => [name, id()]));
  const channelIds = new Map(channels.map((name) => [name, id()]));
  const me = { id: id(), username: 'coxswain' };
  const double = {
    url: '',
    /** Every create-post and patch, in arrival order: { at (ns), kind, channelId, message, rootId }. */
    requests: [],
    /** Called for every create-post and patch as it arrives (the latency probes wait on it). */
    onRequest: undefined,
    channelIds,
    reset() {
      this.requests = [];
    },
    close: () => undefined,
  };

  const send = (res, status, body) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };

  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      const at = process.hrtime.bigint();
      if (req.headers.authorization?.replace(/^bearer /i, '') !== token)
        return send(res, 401, { message: 'bad token' });
      const url = new URL(req.url ?? '/', 'http://double');
      const path = url.pathname;
      const route = (method, pattern) => (req.method === method ? pattern.exec(path) : null);
      if (req.method === 'GET' && path === '/api/v4/users/me') return send(res, 200, me);
      const team = route('GET', /^\/api\/v4\/teams\/name\/([^/]+)$/);
      if (team) {
        const teamId = teamIds.get(decodeURIComponent(team[1]));
        return teamId
          ? send(res, 200, { id: teamId, name: team[1] })
          : send(res, 404, { message: 'no team' });
      }
      const channel = route('GET', /^\/api\/v4\/teams\/([^/]+)\/channels\/name\/([^/]+)$/);
      if (channel) {
        const m = channel;
        const name = decodeURIComponent(m[2]);
        let channelId = channelIds.get(name);
        if (!channelId) {
          channelId = id();
          channelIds.set(name, channelId);
        }
        return send(res, 200, { id: channelId, name, team_id: m[1] });
      }
      let body = {};
      try {
        body = chunks.length > 0 ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {};
      } catch {
        return send(res, 400, { message: 'not JSON' });
      }
      if (req.method === 'POST' && path === '/api/v4/posts') {
        const post = {
          id: id(),
          channel_id: body.channel_id,
          user_id: me.id,
          root_id: body.root_id ?? '',
          message: body.message ?? '',
          create_at: Date.now(),
        };
        const record = {
          at,
          kind: 'post',
          channelId: post.channel_id,
          rootId: post.root_id,
          text: JSON.stringify(body),
        };
        double.requests.push(record);
        double.onRequest?.(record);
        return send(res, 201, post);
      }
      const patch = route('PUT', /^\/api\/v4\/posts\/([^/]+)\/patch$/);
      if (patch) {
        const record = { at, kind: 'patch', channelId: '', rootId: '', text: JSON.stringify(body) };
        double.requests.push(record);
        double.onRequest?.(record);
        return send(res, 200, { id: patch[1], user_id: me.id, message: body.message ?? '' });
      }
      return send(res, 404, { message: `the benchmark double does not serve ${req.method} ${path}` });
    });
  });
  server.keepAliveTimeout = 60_000;

  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    if (!req.url?.startsWith('/api/v4/websocket')) return socket.destroy();
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.on('message', (data) => {
        let message;
        try {
          message = JSON.parse(String(data));
        } catch {
          return;
        }
        if (message.action === 'authentication_challenge' && message.data?.token === token) {
          ws.send(JSON.stringify({ status: 'OK', seq_reply: message.seq }));
          ws.send(
            JSON.stringify({
              event: 'hello',
              data: { connection_id: id(), server_version: 'bench-double' },
              broadcast: {},
              seq: 0,
            }),
          );
        } else if (message.seq) ws.send(JSON.stringify({ status: 'OK', seq_reply: message.seq }));
      });
    });
  });

  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  double.url = `http://127.0.0.1:${server.address().port}`;
  double.close = () =>
    new Promise((resolve) => {
      for (const client of wss.clients) client.terminate();
      wss.close();
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return double;
}

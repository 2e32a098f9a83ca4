// The floor for the bot's alert path: the least a webhook-to-chat relay can do. node:http takes
// the Alertmanager webhook, answers 200, and forwards one Mattermost post (the group's alert
// names and summaries) to the same chat double with fetch, as the bot's Client4 does. No
// validation, no store, no rendering, no rate limit, no storm folding.
// node bench/relay.mjs <chat url> <token> <channel id>   (prints the port it listens on)
import { createServer } from 'node:http';

const [chatUrl, token, channelId] = process.argv.slice(2);
const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    res.end('{}');
    const payload = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    const message = payload.alerts
      .map((a) => `${a.status} ${a.labels.alertname}: ${a.annotations.summary ?? ''}`)
      .join('\n');
    fetch(`${chatUrl}/api/v4/posts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ channel_id: channelId, message }),
    }).then(
      (r) => r.arrayBuffer(),
      () => undefined,
    );
  });
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));

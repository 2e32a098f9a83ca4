// CPU time per alert on the hot path, a measure the machine's noise does not move much: the same
// fixed set of webhooks (bench/alert-stream.mjs) is sent at a fixed rate to the running built bot
// and to the raw relay (bench/relay.mjs, the floor), and each process's CPU time (utime + stime
// from /proc/<pid>/stat) over the round is divided by the alerts it carried. Other sessions on the
// machine stretch wall-clock latencies, but not the CPU a process spends on its own work.
// The bot's round lasts until its outbox is empty, so delivery (claims, render, the chat post)
// is counted with ingestion. Rounds alternate bot and relay.
// `node bench/run.mjs alerts-cpu`; `BENCH_CPU_PROF=<dir>` also writes a V8 CPU profile of the bot
// there (read it with `node bench/cpuprofile-top.mjs <file>`).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { AlertStream } from './alert-stream.mjs';
import { CHAT_TOKEN, postWebhook, startBot } from './bot.mjs';
import { startChatDouble } from './chat-double.mjs';

const MAX_IN_FLIGHT = 256;
const sleep = (t) => new Promise((r) => setTimeout(r, t));

/** CPU seconds (user + system) of a process so far; clock ticks of USER_HZ 100. */
function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function startRelay(chatUrl, channelId) {
  const child = spawn(
    process.execPath,
    [new URL('./relay.mjs', import.meta.url).pathname, chatUrl, CHAT_TOKEN, channelId],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const { value } = await createInterface({ input: child.stdout })[Symbol.asyncIterator]().next();
  return { url: `http://127.0.0.1:${value.trim()}/`, pid: child.pid, stop: () => child.kill('SIGKILL') };
}

/** Sends the bodies open-loop at `rate` alerts/s; resolves when every answer is in. */
async function send(url, bodies, rate) {
  let sent = 0;
  let index = 0;
  let inFlight = 0;
  let refused = 0;
  const pending = new Set();
  const started = performance.now();
  while (index < bodies.length) {
    const due = (rate * (performance.now() - started)) / 1000;
    while (index < bodies.length && sent < due && inFlight < MAX_IN_FLIGHT) {
      const { body, alerts } = bodies[index++];
      sent += alerts;
      inFlight++;
      const request = postWebhook(url, body).then(
        (status) => {
          if (status !== 200) refused += alerts;
        },
        () => {
          refused += alerts;
        },
      );
      pending.add(request);
      request.finally(() => {
        inFlight--;
        pending.delete(request);
      });
    }
    await sleep(2);
  }
  await Promise.all(pending);
  return { seconds: (performance.now() - started) / 1000, refused };
}

export async function measureCpu({ rate = 2000, alertsPerRound = 10_000, rounds = 3, nodeArgs = [] } = {}) {
  const profileDir = process.env.BENCH_CPU_PROF;
  const double = await startChatDouble({
    token: CHAT_TOKEN,
    channels: ['apps-alerts', 'infra-alerts', 'alerts'],
  });
  // The chat rate limit lifted (as in the ramp's second half): the bot's own work is measured,
  // not the 10/s of the default limit. Storm folding stays at its default.
  const bot = await startBot({
    chatUrl: double.url,
    alerts: { delivery: { ratePerSecond: 10_000 } },
    nodeArgs: profileDir ? [...nodeArgs, '--cpu-prof', `--cpu-prof-dir=${profileDir}`] : nodeArgs,
  });
  const relay = await startRelay(double.url, double.channelIds.get('apps-alerts'));
  const stream = new AlertStream({ seed: 23 });
  const results = [];
  try {
    for (let round = 0; round < rounds; round++) {
      const bodies = [];
      let alerts = 0;
      while (alerts < alertsPerRound) {
        const next = stream.next();
        bodies.push(next);
        alerts += next.alerts;
      }
      const result = { round: round + 1, alerts, webhooks: bodies.length };
      for (const target of round % 2 === 0 ? ['bot', 'relay'] : ['relay', 'bot']) {
        const pid = target === 'bot' ? bot.pid : relay.pid;
        const before = cpuSeconds(pid);
        const chatBefore = double.requests.length;
        const { seconds, refused } = await send(target === 'bot' ? bot.webhookUrl : relay.url, bodies, rate);
        if (target === 'bot') {
          // Delivery is part of the bot's cost: wait until the outbox is empty (a scrape every
          // 200 ms costs the bot well under a µs per alert).
          const deadline = performance.now() + 60_000;
          while ((await bot.metrics()).coxswain_outbox_pending !== 0 && performance.now() < deadline)
            await sleep(200);
        } else await sleep(300); // the relay's last posts
        result[target] = {
          cpu: cpuSeconds(pid) - before,
          seconds,
          refused,
          chatRequests: double.requests.length - chatBefore,
        };
      }
      result.botUs = (result.bot.cpu / alerts) * 1e6;
      result.relayUs = (result.relay.cpu / alerts) * 1e6;
      process.stderr.write(
        `  round ${result.round}: ${alerts} alerts in ${result.webhooks} webhooks at ${rate}/s: bot ${result.botUs.toFixed(1)} µs/alert (${result.bot.seconds.toFixed(1)} s${result.bot.refused ? `, ${result.bot.refused} refused` : ''}), ${result.bot.chatRequests} chat requests; relay ${result.relayUs.toFixed(1)} µs/alert, ratio ${(result.botUs / result.relayUs).toFixed(2)}×\n`,
      );
      results.push(result);
    }
  } finally {
    relay.stop();
    await bot.stop();
    await double.close();
  }
  return { rate, results };
}

export async function run() {
  const { rate, results } = await measureCpu();
  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  const rows = results.map((r) => [
    `round ${r.round}`,
    `${r.alerts.toLocaleString('en')} in ${r.webhooks.toLocaleString('en')} webhooks`,
    `${r.botUs.toFixed(1)} µs`,
    `${r.relayUs.toFixed(1)} µs`,
    `${(r.botUs / r.relayUs).toFixed(2)}×`,
  ]);
  const botUs = median(results.map((r) => r.botUs));
  const relayUs = median(results.map((r) => r.relayUs));
  rows.push([
    'median',
    '',
    `${botUs.toFixed(1)} µs`,
    `${relayUs.toFixed(1)} µs`,
    `${(botUs / relayUs).toFixed(2)}×`,
  ]);
  return {
    title: 'Alerts: CPU time per alert in the bot process, against the relay',
    header: ['round', 'alerts', 'coxswain CPU per alert', 'floor: raw relay CPU per alert', 'ratio'],
    rows,
    botUs,
    relayUs,
    note: `The same webhooks (bench/alert-stream.mjs, ~4.4 KB each, 1-12 alerts) sent open loop at ${rate.toLocaleString('en')} alerts/s to the built bot (Mattermost adapter to the chat double, SQLite on disk, chat rate limit lifted, storm folding at its default) and to bench/relay.mjs, alternately; each process's user + system CPU time from /proc/<pid>/stat over its round (the bot's until its outbox is empty, so delivery is counted) divided by the alerts. CPU time, unlike latency, is not stretched by the other processes on the machine. 4,000 alerts/s within one core leaves 250 µs of CPU per alert.`,
  };
}

// Alert load ramp on the running built bot: a realistic webhook stream (bench/alert-stream.mjs)
// sent open-loop at increasing rates, each for a few seconds, into the bot with its default
// alert settings (storm threshold 20 new groups a minute per channel, 10 chat calls a second,
// batches of 500). At every step: the rate the bot accepted, webhook latency, the outbox
// (`coxswain_outbox_pending` on /metrics, scraped twice a second) during the step and how long it
// takes to drain after, chat requests per alert group, the bot's CPU and RSS. A step is
// sustained when the bot accepted ≥ 95% of the offered rate, the outbox stayed bounded over the
// step's second half (least-squares slope below 5% of the offered rate, or never more than one
// second of offered alerts pending: it moves in batches of 500) and it drained within 15 s. The ramp stops after the first step that is not sustained.
import { AlertStream } from './alert-stream.mjs';
import { CHAT_TOKEN, postWebhook, startBot } from './bot.mjs';
import { startChatDouble } from './chat-double.mjs';
import { ms, rssMiB, slope, summarize } from './lib.mjs';

const MAX_IN_FLIGHT = 256;
const sleep = (t) => new Promise((r) => setTimeout(r, t));

async function step(bot, double, stream, rate, seconds) {
  // Bodies are made before the clock starts, so the generator only sends during the step.
  const before = { ...stream.counts };
  const bodies = [];
  const groups = new Set();
  let planned = 0;
  while (planned < rate * seconds) {
    const next = stream.next();
    bodies.push(next);
    groups.add(next.groupId);
    planned += next.alerts;
  }
  const opened = stream.counts.opened - before.opened;
  const chatBefore = double.requests.length;
  const cpuBefore = bot.cpuSeconds();
  const mainBefore = bot.mainThread();
  const generatorBefore = process.cpuUsage();
  const samples = [];
  const latencies = [];
  let accepted = 0;
  let refused = 0;
  let inFlight = 0;
  let sentAlerts = 0;
  let index = 0;
  let rssPeak = 0;
  let lastSent = 0;
  const started = performance.now();
  const sampler = setInterval(async () => {
    const t = (performance.now() - started) / 1000;
    rssPeak = Math.max(rssPeak, rssMiB(bot.pid));
    try {
      samples.push([t, (await bot.metrics()).coxswain_outbox_pending]);
    } catch {
      // a scrape that failed under load is a missing sample, not a failed step
    }
  }, 500);
  const pending = new Set();
  while (performance.now() - started < seconds * 1000 && index < bodies.length) {
    const due = (rate * (performance.now() - started)) / 1000;
    while (index < bodies.length && sentAlerts < due && inFlight < MAX_IN_FLIGHT) {
      const { body, alerts } = bodies[index++];
      sentAlerts += alerts;
      lastSent = performance.now();
      inFlight++;
      const t = performance.now();
      const request = postWebhook(bot.webhookUrl, body).then(
        (status) => {
          latencies.push(performance.now() - t);
          if (status === 200) accepted += alerts;
          else refused += alerts;
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
  const sendSeconds = (performance.now() - started) / 1000;
  const cpu = bot.cpuSeconds() - cpuBefore;
  const generatorUsage = process.cpuUsage(generatorBefore);
  const generatorCores = (generatorUsage.user + generatorUsage.system) / 1e6 / sendSeconds;
  const mainAfter = bot.mainThread();
  const mainCpu = (mainAfter.cpu - mainBefore.cpu) / sendSeconds;
  const mainWait = (mainAfter.wait - mainBefore.wait) / sendSeconds;
  // Drain: until the outbox is empty, at most 15 s.
  const drainStarted = performance.now();
  let left = Number.NaN;
  for (;;) {
    left = (await bot.metrics()).coxswain_outbox_pending;
    if (left === 0 || performance.now() - drainStarted > 15_000) break;
    await sleep(200);
  }
  clearInterval(sampler);
  const drainSeconds = (performance.now() - drainStarted) / 1000;
  const secondHalf = samples.filter(([t]) => t >= seconds / 2 && t <= seconds);
  const growth = secondHalf.length >= 3 ? slope(secondHalf) : 0;
  // Over the sending window: a bot that falls behind holds webhooks in flight, the generator hits
  // its cap and sends late (or not at all before the step ends), which lowers this rate; the
  // answers still arriving after the window do not.
  const acceptedRate = accepted / Math.max(seconds, (lastSent - started) / 1000);
  const chatRequests = double.requests.length - chatBefore;
  return {
    rate,
    acceptedRate,
    refused,
    latency: summarize(latencies),
    maxPending: Math.max(0, ...samples.map(([, v]) => v)),
    growth,
    drainSeconds,
    drained: left === 0,
    chatRequests,
    groups: groups.size,
    opened,
    cores: cpu / sendSeconds,
    mainCpu,
    mainWait,
    generatorCores,
    rssPeak,
    // Bounded: not growing over the second half, or never more than one second of load behind.
    sustained:
      acceptedRate >= 0.95 * rate &&
      (growth < 0.05 * rate || Math.max(0, ...secondHalf.map(([, v]) => v)) <= rate) &&
      left === 0,
  };
}

export async function ramp(alerts, rates, seconds, nodeArgs = []) {
  const double = await startChatDouble({
    token: CHAT_TOKEN,
    channels: ['apps-alerts', 'infra-alerts', 'alerts'],
  });
  const bot = await startBot({ chatUrl: double.url, alerts, nodeArgs });
  const stream = new AlertStream({ seed: 11 });
  const results = [];
  let peak = Number.NaN;
  try {
    for (const rate of rates) {
      const result = await step(bot, double, stream, rate, seconds);
      results.push(result);
      process.stderr.write(
        `  ${rate}/s: accepted ${Math.round(result.acceptedRate)}/s, outbox max ${result.maxPending} (${Math.round(result.growth)}/s), drained in ${result.drainSeconds.toFixed(1)} s, ${result.chatRequests} chat requests, ${result.cores.toFixed(2)} cores (main thread ${Math.round(result.mainCpu * 100)}% on CPU, ${Math.round(result.mainWait * 100)}% waiting for one); generator ${result.generatorCores.toFixed(2)} cores\n`,
      );
      if (!result.sustained) break;
    }
  } finally {
    peak = bot.peakMiB();
    await bot.stop();
    await double.close();
  }
  return { results, peak, best: results.filter((r) => r.sustained).at(-1)?.rate ?? 0 };
}

export async function run({ rates = [250, 500, 1000, 2000, 4000, 8000], seconds = 10 } = {}) {
  const limited = await ramp({}, rates, seconds);
  // The same ramp with the chat rate limit lifted: what the bot itself can carry.
  const unlimited = await ramp({ delivery: { ratePerSecond: 10_000 } }, rates, seconds);
  const rows = [];
  for (const [label, { results }] of [
    ['10/s (default)', limited],
    ['lifted (10,000/s)', unlimited],
  ]) {
    for (const r of results) {
      rows.push([
        label,
        `${r.rate.toLocaleString('en')}/s`,
        `${Math.round(r.acceptedRate).toLocaleString('en')}/s`,
        `${ms(r.latency.p50)} / ${ms(r.latency.p99)}`,
        `${r.maxPending.toLocaleString('en')} (${r.growth >= 0 ? '+' : ''}${Math.round(r.growth).toLocaleString('en')}/s)`,
        r.drained ? `${r.drainSeconds.toFixed(1)} s` : 'not in 15 s',
        `${r.chatRequests.toLocaleString('en')} / ${r.groups.toLocaleString('en')} = ${(r.chatRequests / r.groups).toFixed(2)}`,
        `${r.cores.toFixed(2)} (${Math.round(r.mainCpu * 100)}% / ${Math.round(r.mainWait * 100)}%)`,
        r.generatorCores.toFixed(2),
        `${r.rssPeak.toFixed(0)} MiB`,
        r.sustained ? 'yes' : '**no**',
      ]);
    }
  }
  const peak = Math.max(limited.peak, unlimited.peak);
  const fmt = (n) => (n ? `${n.toLocaleString('en')} alerts/s` : 'none');
  return {
    title: 'Alerts: load ramp on the running bot (Mattermost adapter → chat double)',
    header: [
      'chat rate limit',
      'offered alerts/s',
      'accepted',
      'webhook → 200 p50 / p99',
      'outbox max (growth, 2nd half)',
      'drain after',
      'chat requests / alert groups',
      'bot CPU cores (event loop thread: on a CPU / waiting for one)',
      'generator + chat double CPU cores',
      'bot RSS (max sampled)',
      'sustained',
    ],
    rows,
    sustained: limited.best,
    sustainedUnlimited: unlimited.best,
    peakMiB: peak,
    note: `Each step ${seconds} s, open loop (up to ${MAX_IN_FLIGHT} webhooks in flight); alerts counted as Alertmanager sends them: every alert of every webhook, a group's update re-sending all its alerts. Stream: groups by alertname/cluster/namespace of kube-prometheus style rules (1-12 alerts, 7-9 labels, summary, description, runbook_url; ~4.4 KB a webhook), 70% apps / 30% infra, per group opened about 3 updates and one resolve, ~400 groups active. The bot: built dist/ in its own process, default alert settings (storm threshold 20 new groups a minute per channel, then one summary post per channel updated each pass; batches of 500), SQLite on disk, two routes (apps-alerts, infra-alerts); the second ramp only lifts the chat rate limit. Chat: bench/chat-double.mjs, a minimal Mattermost REST v4 + WebSocket server in the load generator's process (not the real Mattermost). A step is sustained when ≥ 95% of the offered rate was accepted, the outbox stayed bounded over the step's second half (least-squares growth under 5% of the offered rate, or never more than one second of offered alerts pending: delivery takes batches of 500) and it drained within 15 s. **Highest sustained: ${fmt(limited.best)} with the default chat limit, ${fmt(unlimited.best)} with it lifted** (goal ≥ 4,000 alerts/s on 2 cores since issue 22, ≥ 1,000 before; the load generator and the chat double share the 2 cores with the bot). Peak RSS of the bot (VmHWM) over the ramps: ${peak.toFixed(0)} MiB.`,
  };
}

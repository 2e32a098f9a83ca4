// In-bot overhead per alert, webhook received → chat request sent, on the running built bot:
// the time from the load generator sending a webhook to the chat double having the post's
// body, minus the same time through the raw relay (bench/relay.mjs: node:http in, fetch out,
// nothing else), probed alternately in the same run so the machine's load hits both alike.
// Probes go one at a time (each a new one-alert group, so each makes exactly one post): this is
// the latency of the path itself, not of a queue.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { AlertStream } from './alert-stream.mjs';
import { CHAT_TOKEN, postWebhook, startBot } from './bot.mjs';
import { startChatDouble } from './chat-double.mjs';
import { ms, summarize } from './lib.mjs';

async function startRelay(chatUrl, channelId) {
  const child = spawn(
    process.execPath,
    [new URL('./relay.mjs', import.meta.url).pathname, chatUrl, CHAT_TOKEN, channelId],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const [line] = await createInterface({ input: child.stdout })
    [Symbol.asyncIterator]()
    .next()
    .then((r) => [r.value]);
  return { url: `http://127.0.0.1:${line.trim()}/`, stop: () => child.kill('SIGKILL') };
}

/**
 * One probe: a one-alert group whose summary carries a unique marker. Resolves with the ms from
 * sending the webhook to the chat double holding the post, and to the webhook's 200.
 */
function probe(double, url, marker, body) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no post for ${marker} within 10 s`)), 10_000);
    let posted;
    let answered;
    const done = () => {
      if (posted === undefined || answered === undefined) return;
      clearTimeout(timer);
      resolve({ total: Number(posted - sent) / 1e6, answer: Number(answered - sent) / 1e6 });
    };
    double.onRequest = (record) => {
      if (!record.text.includes(marker)) return;
      double.onRequest = undefined;
      posted = record.at;
      done();
    };
    const sent = process.hrtime.bigint();
    postWebhook(url, body).then((status) => {
      if (status !== 200) return reject(new Error(`${url}: ${status}`));
      answered = process.hrtime.bigint();
      done();
    }, reject);
  });
}

export async function measureOverhead({ probes = 600, warmup = 60, nodeArgs = [] } = {}) {
  const double = await startChatDouble({
    token: CHAT_TOKEN,
    channels: ['apps-alerts', 'infra-alerts', 'alerts'],
  });
  // Storm folding off and no chat rate limit: every probe is a new group that must be posted at
  // once; with the defaults the 21st new group a minute would be folded into a storm summary.
  const bot = await startBot({
    chatUrl: double.url,
    alerts: { storm: { threshold: 1_000_000 }, delivery: { ratePerSecond: 100_000 } },
    nodeArgs,
  });
  const relay = await startRelay(double.url, double.channelIds.get('apps-alerts'));
  const stream = new AlertStream({ seed: 7 });
  const botMs = [];
  const relayMs = [];
  const botAnswerMs = [];
  try {
    for (let i = 0; i < probes + warmup; i++) {
      for (const [target, samples] of i % 2 === 0
        ? [
            [bot.webhookUrl, botMs],
            [relay.url, relayMs],
          ]
        : [
            [relay.url, relayMs],
            [bot.webhookUrl, botMs],
          ]) {
        const marker = `probe${i}${samples === botMs ? 'b' : 'r'}x`;
        // A fresh one-alert group, the marker in its summary (the bot renders it, the relay copies it).
        let payload;
        do payload = JSON.parse(stream.open().body);
        while (payload.alerts.length !== 1);
        payload.alerts[0].annotations.summary = marker;
        payload.commonAnnotations.summary = marker;
        payload.alerts[0].labels.cluster = 'apps';
        payload.commonLabels.cluster = 'apps';
        payload.groupKey = `${payload.groupKey}-${marker}`;
        const latency = await probe(double, target, marker, JSON.stringify(payload));
        if (i >= warmup) {
          samples.push(latency.total);
          if (samples === botMs) botAnswerMs.push(latency.answer);
        }
      }
      stream.active.length = 0;
    }
  } finally {
    relay.stop();
    await bot.stop();
    await double.close();
  }
  return { bot: summarize(botMs), relay: summarize(relayMs), botAnswer: summarize(botAnswerMs), probes };
}

export async function run() {
  const { bot, relay, botAnswer, probes } = await measureOverhead();
  const row = (name, pick) => [
    name,
    ms(pick(bot)),
    ms(pick(relay)),
    ms(pick(bot) - pick(relay)),
    `${(pick(bot) / pick(relay)).toFixed(1)}×`,
    '≤ 2 ms (overhead p99)',
  ];
  return {
    title: 'Alerts: in-bot overhead per alert (webhook → chat request), running bot',
    header: [
      'measure',
      'coxswain (built, own process)',
      'floor: raw relay',
      'in-bot overhead',
      'ratio',
      'goal',
    ],
    rows: [
      row('p50', (s) => s.p50),
      row('p99', (s) => s.p99),
      [
        'of which the webhook until its 200 (bot: validation and the durable outbox write), p50 / p99',
        `${ms(botAnswer.p50)} / ${ms(botAnswer.p99)}`,
        '—',
        '',
        '',
        '',
      ],
    ],
    rawOverheadP99: bot.p99 - relay.p99,
    rawOverheadP50: bot.p50 - relay.p50,
    note: `${probes} probes each way after warm-up, alternated, one at a time: a new one-alert group posted to the webhook, timed until the chat double holds the post's body (process.hrtime, one clock for all processes). The bot's path: bearer check, zod validation, the outbox row committed with the webhooks of its event-loop turn (SQLite WAL), the delivery loop woken at once while the WAL is fsynced in the thread pool, the 200 after that fsync; group claimed, its state read and saved, routing, rendering, the Mattermost adapter's Client4 POST /api/v4/posts, the post recorded. The relay: node:http in, JSON.parse, fetch out. Storm folding and the chat rate limit are off for this measure (with the defaults the 21st new group a minute is folded into a storm summary).`,
  };
}

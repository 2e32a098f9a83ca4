// RSS over a busy hour of alerts, compressed: the webhooks Alertmanager sends in one busy hour on
// a two-cluster platform (bench/alert-stream.mjs: about 2,200 groups opened, each updated ~3
// times and resolved, 10,000 webhooks, ~52,000 alerts) sent evenly over `seconds` to the running
// built bot. Time-based settings are compressed by the same factor, so the bot does what it would
// do in the hour: the chat rate limit (10 calls/s) is multiplied by it and the storm window
// (1 min) and delivery interval (1 s) divided by it. RSS is sampled from /proc twice a second;
// the trend is the least-squares slope over the second half of the load.
import { AlertStream } from './alert-stream.mjs';
import { CHAT_TOKEN, postWebhook, startBot } from './bot.mjs';
import { startChatDouble } from './chat-double.mjs';
import { rssMiB, slope } from './lib.mjs';

const sleep = (t) => new Promise((r) => setTimeout(r, t));

export async function run({ webhooks = 10_000, seconds = 120, nodeArgs = [], env = {} } = {}) {
  const factor = 3600 / seconds;
  const double = await startChatDouble({
    token: CHAT_TOKEN,
    channels: ['apps-alerts', 'infra-alerts', 'alerts'],
  });
  const bot = await startBot({
    chatUrl: double.url,
    alerts: {
      storm: { window: `${Math.round(60_000 / factor)}ms` },
      delivery: { ratePerSecond: 10 * factor, interval: `${Math.round(1000 / factor)}ms` },
    },
    // The inspector lets the benchmark force a full GC and read the live heap at the start and
    // the end; it costs nothing while no client is attached.
    nodeArgs: ['--inspect=127.0.0.1:0', ...nodeArgs],
    env,
  });
  const stream = new AlertStream({ seed: 3 });
  const bodies = Array.from({ length: webhooks }, () => stream.next());
  const samples = [];
  let failed = 0;
  let leftAfter = Number.NaN;
  let idleAfter = Number.NaN;
  await sleep(1000);
  const startRss = rssMiB(bot.pid);
  const startHeap = await bot.heapAfterGc();
  const started = performance.now();
  const sampler = setInterval(
    () => samples.push([(performance.now() - started) / 1000, rssMiB(bot.pid)]),
    500,
  );
  try {
    const inFlight = new Set();
    for (let i = 0; i < bodies.length; i++) {
      const wait = started + (i * seconds * 1000) / webhooks - performance.now();
      if (wait > 0) await sleep(wait);
      const request = postWebhook(bot.webhookUrl, bodies[i].body).then(
        (status) => {
          if (status !== 200) failed++;
        },
        () => failed++,
      );
      inFlight.add(request);
      request.finally(() => inFlight.delete(request));
    }
    await Promise.all(inFlight);
    const loadSeconds = (performance.now() - started) / 1000;
    const drainStarted = performance.now();
    for (;;) {
      leftAfter = (await bot.metrics()).coxswain_outbox_pending;
      if (leftAfter === 0 || performance.now() - drainStarted > 30_000) break;
      await sleep(250);
    }
    await sleep(5000);
    idleAfter = rssMiB(bot.pid);
    clearInterval(sampler);
    const endHeap = await bot.heapAfterGc();
    const afterGc = rssMiB(bot.pid);
    const during = samples.filter(([t]) => t <= loadSeconds);
    const secondHalf = during.filter(([t]) => t >= loadSeconds / 2);
    const trend = slope(secondHalf) * 60; // MiB per minute of the run
    const rss = during.map(([, v]) => v);
    const mean = (list) => list.reduce((s, v) => s + v, 0) / list.length;
    const firstHalfMean = mean(during.filter(([t]) => t < loadSeconds / 2).map(([, v]) => v));
    const secondHalfMean = mean(secondHalf.map(([, v]) => v));
    const peak = bot.peakMiB();
    const n = stream.counts;
    return {
      title: 'Footprint: RSS over a compressed busy hour of alerts (no growth trend?)',
      header: ['measure', 'value'],
      rows: [
        ['RSS after ready, before the load', `${startRss.toFixed(0)} MiB`],
        [
          'RSS mean, first half / second half of the load',
          `${firstHalfMean.toFixed(0)} / ${secondHalfMean.toFixed(0)} MiB`,
        ],
        ['RSS at the end of the load', `${rss.at(-1).toFixed(0)} MiB`],
        ['RSS peak (VmHWM)', `${peak.toFixed(0)} MiB`],
        [
          'least-squares slope over the second half',
          `${trend >= 0 ? '+' : ''}${trend.toFixed(2)} MiB/min (${((trend * loadSeconds) / 2 / 60).toFixed(1)} MiB over that half)`,
        ],
        ['RSS 5 s after the outbox drained', `${idleAfter.toFixed(0)} MiB`],
        [
          'live heap after a full GC: before the load → after it',
          `${startHeap.heapUsed.toFixed(1)} → ${endHeap.heapUsed.toFixed(1)} MiB (RSS then ${afterGc.toFixed(0)} MiB)`,
        ],
        ['webhooks refused or failed', String(failed)],
        ['outbox left 30 s after the load', String(leftAfter)],
      ],
      trend,
      heapGrowth: endHeap.heapUsed - startHeap.heapUsed,
      note: `${n.webhooks.toLocaleString('en')} webhooks (${n.alerts.toLocaleString('en')} alerts; ${n.opened.toLocaleString('en')} groups opened, ${n.updated.toLocaleString('en')} updates, ${n.resolved.toLocaleString('en')} resolves) evenly over ${seconds} s: one busy hour at ${factor}× speed, with the chat rate limit ×${factor} (${10 * factor} calls/s), the storm window and delivery interval ÷${factor}, so the bot makes the chat calls and storm decisions of the real hour. ${samples.length} RSS samples. A slope near zero (against the RSS itself) means no growth trend; V8 grows its heap in steps, so the first half includes warm-up. The live heap after a forced full GC (through the inspector: HeapProfiler.collectGarbage, then process.memoryUsage()) tells retained objects from heap V8 merely kept: RSS that stays up while the live heap is flat is V8's grown heap and the allocator's free pages, not a leak.`,
    };
  } finally {
    clearInterval(sampler);
    await bot.stop();
    await double.close();
  }
}

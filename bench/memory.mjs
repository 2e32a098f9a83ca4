// Memory of the bot as a platform team runs it: the built bot configured for Mattermost (its real
// adapter, pointed at bench/chat-double.mjs), SQLite on disk, HTTP on. Three figures (issue 22):
//  - idle: after ready and a few seconds of nothing, no cluster configured;
//  - with the caches full: both clusters of the test stack configured, the Kubernetes client
//    loaded and every informer the health report reads filled (a health summary scheduled every
//    10 s posts into the double: its first post means the caches are full), at the stack's pods
//    (5,000 on apps when it was started with --pods 5000);
//  - during an alert storm, on that same bot: new alert groups at 1,000 alerts/s for 15 s (the
//    storm threshold folds them into summaries), the highest RSS sampled (every 5 ms while
//    sending, 200 ms while draining) over the storm and its drain.
// RSS is the median of samples taken every 200 ms over 5 s (the figure a `ps` or a Kubernetes
// memory metric would show); V8 and glibc keep what they grew, so peak and settled both show.
import { AlertStream } from './alert-stream.mjs';
import { CHAT_TOKEN, postWebhook, startBot } from './bot.mjs';
import { startChatDouble } from './chat-double.mjs';
import { rssMiB, summarize } from './lib.mjs';

const sleep = (t) => new Promise((r) => setTimeout(r, t));

async function settledRss(pid, seconds = 5) {
  const samples = [];
  for (let i = 0; i < seconds * 5; i++) {
    samples.push(rssMiB(pid));
    await sleep(200);
  }
  return summarize(samples).p50;
}

export async function measureIdle() {
  const double = await startChatDouble({ token: CHAT_TOKEN });
  const bot = await startBot({ chatUrl: double.url });
  try {
    await sleep(3000); // start-up garbage settles
    return { idleMiB: await settledRss(bot.pid) };
  } finally {
    await bot.stop();
    await double.close();
  }
}

/** `env` is the test stack's env file (KUBECONFIG_INFRA, KUBECONFIG_APPS). */
export async function measureCachesAndStorm(env, { rate = 1000, seconds = 15 } = {}) {
  const double = await startChatDouble({ token: CHAT_TOKEN, channels: ['ops'] });
  const bot = await startBot({
    chatUrl: double.url,
    config: {
      clusters: [
        { name: 'infra', kubeconfig: env.KUBECONFIG_INFRA },
        { name: 'apps', kubeconfig: env.KUBECONFIG_APPS },
      ],
      schedules: [{ name: 'bench-fill', cron: '*/10 * * * * *', channels: ['ops'] }],
    },
  });
  try {
    const opsChannel = double.channelIds.get('ops');
    const filled = performance.now();
    // The first health summary in the channel: every informer has listed once and watches.
    while (!double.requests.some((r) => r.channelId === opsChannel && r.kind === 'post')) {
      if (performance.now() - filled > 120_000) throw new Error('no scheduled health post within 120 s');
      await sleep(200);
    }
    const fillSeconds = (performance.now() - filled) / 1000;
    await sleep(3000);
    const cachedMiB = await settledRss(bot.pid);

    // The storm: only new groups, as when a node or a whole namespace goes down.
    const stream = new AlertStream({ seed: 22 });
    const bodies = [];
    let planned = 0;
    while (planned < rate * seconds) {
      const next = stream.open();
      bodies.push(next);
      planned += next.alerts;
    }
    const before = bot.peakMiB();
    const samples = [];
    const started = performance.now();
    let sent = 0;
    let index = 0;
    let refused = 0;
    const inFlight = new Set();
    while (index < bodies.length) {
      const due = (rate * (performance.now() - started)) / 1000;
      while (index < bodies.length && sent < due && inFlight.size < 256) {
        const { body, alerts } = bodies[index++];
        sent += alerts;
        const request = postWebhook(bot.webhookUrl, body).then(
          (status) => {
            if (status !== 200) refused += alerts;
          },
          () => {
            refused += alerts;
          },
        );
        inFlight.add(request);
        request.finally(() => inFlight.delete(request));
      }
      samples.push(rssMiB(bot.pid));
      await sleep(5);
    }
    await Promise.all(inFlight);
    // Until the outbox drains (at most 30 s), still sampling.
    const drainStart = performance.now();
    while (performance.now() - drainStart < 30_000) {
      samples.push(rssMiB(bot.pid));
      if ((await bot.metrics()).coxswain_outbox_pending === 0) break;
      await sleep(200);
    }
    // The highest sample during the storm and its drain; VmHWM would also hold the fill's peak.
    const stormPeakMiB = Math.max(...samples);
    return {
      fillSeconds,
      cachedMiB,
      stormPeakMiB,
      stormMedianMiB: summarize(samples).p50,
      peakBeforeStormMiB: before,
      lifetimePeakMiB: bot.peakMiB(),
      stormAlerts: sent,
      refused,
      chatPosts: double.requests.filter((r) => r.kind === 'post').length,
    };
  } finally {
    await bot.stop();
    await double.close();
  }
}

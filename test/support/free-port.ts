import { createServer } from 'node:net';

// Ports are drawn below the kernel's ephemeral range (32768-60999 by default). A port the kernel
// hands out for `listen(0)` comes from that range, and so does the local port of every outgoing
// connection: between our close and the test's listen, any client on the machine (the bot's
// fetches, Mattermost's database pool) could take it, and did (EADDRINUSE in a test run).
const LOW = 10_000;
const HIGH = 32_000;

function tryListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A TCP port free on loopback right now, outside the range outgoing connections use. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = LOW + Math.floor(Math.random() * (HIGH - LOW));
    if (await tryListen(port)) return port;
  }
  throw new Error(`no free port found between ${LOW} and ${HIGH}`);
}

// Prints N free TCP ports on 127.0.0.1, one per line. All N sockets are held open
// until every port is chosen, so the N are distinct. The ports are drawn below the kernel's
// ephemeral range (32768-60999), which outgoing connections use: a port from listen(0) could be
// taken by any client on the machine before the stack's server binds it.
import net from 'node:net';

const LOW = 10000;
const HIGH = 32000;
const n = Number(process.argv[2] ?? 1);
const servers = [];
const ports = [];
for (let attempts = 0; ports.length < n; attempts++) {
  if (attempts > 100 * n) throw new Error(`no ${n} free ports between ${LOW} and ${HIGH}`);
  const port = LOW + Math.floor(Math.random() * (HIGH - LOW));
  const s = net.createServer();
  const ok = await new Promise((resolve) => {
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => resolve(true));
  });
  if (!ok) continue;
  servers.push(s);
  ports.push(port);
}
await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
process.stdout.write(`${ports.join('\n')}\n`);

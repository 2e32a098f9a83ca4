// Prints N free TCP ports on 127.0.0.1, one per line. All N sockets are held open
// until every port is chosen, so the N are distinct.
import net from 'node:net';

const n = Number(process.argv[2] ?? 1);
const servers = [];
const ports = [];
for (let i = 0; i < n; i++) {
  const s = net.createServer();
  await new Promise((resolve, reject) => {
    s.once('error', reject);
    s.listen(0, '127.0.0.1', resolve);
  });
  servers.push(s);
  ports.push(s.address().port);
}
await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
process.stdout.write(`${ports.join('\n')}\n`);

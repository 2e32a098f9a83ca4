// The apps cluster of the test stack, from this process: kubectl for setup, and a direct HTTPS
// client (the admin kubeconfig's certificates, one kept-alive connection) for the Warning Events
// whose write time is the start of the Botkube event measure.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { promisify } from 'node:util';
import { parse } from 'yaml';

const run = promisify(execFile);

export const kubectl = async (env, args, input) => {
  const child = run(env.KUBECTL, ['--kubeconfig', env.KUBECONFIG_APPS, ...args], { maxBuffer: 1 << 26 });
  if (input !== undefined) {
    child.child.stdin.end(input);
  }
  return (await child).stdout;
};

export function apiClient(kubeconfigPath) {
  const config = parse(readFileSync(kubeconfigPath, 'utf8'));
  const cluster = config.clusters[0].cluster;
  const user = config.users[0].user;
  const server = new URL(cluster.server);
  const agent = new Agent({
    keepAlive: true,
    ca: Buffer.from(cluster['certificate-authority-data'], 'base64'),
    cert: Buffer.from(user['client-certificate-data'], 'base64'),
    key: Buffer.from(user['client-key-data'], 'base64'),
  });
  return {
    /** POSTs a JSON object to an API path; resolves with the status once the server answered. */
    post(path, body) {
      return new Promise((resolve, reject) => {
        const data = JSON.stringify(body);
        const req = request(
          {
            host: server.hostname,
            port: server.port,
            path,
            method: 'POST',
            agent,
            headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) },
          },
          (res) => {
            let text = '';
            res.setEncoding('utf8').on('data', (c) => {
              text += c;
            });
            res.on('end', () =>
              res.statusCode < 300
                ? resolve(res.statusCode)
                : reject(new Error(`POST ${path}: ${res.statusCode} ${text}`)),
            );
          },
        );
        req.on('error', reject);
        req.end(data);
      });
    },
    close: () => agent.destroy(),
  };
}

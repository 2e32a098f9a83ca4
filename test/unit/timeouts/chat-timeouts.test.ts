/**
 * Every chat REST call has a deadline: a server that accepts the connection and never answers
 * (a hung Mattermost or Rocket.Chat) fails the call with a message that says so, instead of
 * holding it for undici's 300 s default. The hung server is a real loopback HTTP server.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MattermostRest } from '../../../adapters/chat/mattermost/rest-client.js';
import { RocketChatRest } from '../../../adapters/chat/rocketchat/rest-client.js';

let server: Server;
let url: string;

beforeAll(async () => {
  // Reads the request and never answers.
  server = createServer(() => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('chat calls to a server that never answers', () => {
  it('Mattermost: the call fails with the timeout in its message', async () => {
    const rest = new MattermostRest({ url, token: 'x', timeoutMs: 150 });
    await expect(rest.getMe()).rejects.toThrow('Mattermost did not answer within 150 ms');
  });

  it('Rocket.Chat: the call fails with the timeout in its message', async () => {
    const rest = new RocketChatRest({ url, credentials: { userId: 'u', token: 't' }, timeoutMs: 150 });
    await expect(rest.login()).rejects.toThrow('Rocket.Chat did not answer');
  });
});

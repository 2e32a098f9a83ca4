import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/log.js';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { log: createLogger({ level: 'debug', destination }), lines };
}

describe('log redaction', () => {
  it('never writes tokens, passwords, keys or Authorization headers', () => {
    const { log, lines } = capture();
    log.info({ token: 'tok-AAA', config: { chat: { mattermost: { token: 'tok-BBB' } } } }, 'starting');
    log.info({ store: { postgres: { password: 'pw-CCC' } }, security: { signingKey: 'key-DDD' } }, 'state');
    log.info(
      { req: { headers: { authorization: 'Bearer tok-EEE', cookie: 'MMAUTHTOKEN=tok-FFF' } } },
      'request',
    );
    log.info({ headers: { authorization: 'Bearer tok-GGG', 'x-auth-token': 'tok-HHH' } }, 'outbound');
    log.info({ a: { b: { c: { secret: 'sec-III' } } } }, 'deep');
    const out = lines.join('');
    for (const secret of [
      'tok-AAA',
      'tok-BBB',
      'pw-CCC',
      'key-DDD',
      'tok-EEE',
      'tok-FFF',
      'tok-GGG',
      'tok-HHH',
      'sec-III',
    ]) {
      expect(out).not.toContain(secret);
    }
    expect(out.match(/\[redacted\]/g)?.length).toBe(9);
    // What is not secret still reads.
    expect(out).toContain('"msg":"request"');
  });
});

/**
 * The HTTP server's per-request loggers (src/http/lazy-child-logger.ts): a request that logs
 * nothing at a written level makes no pino child; one that does writes its line as before, with
 * the request id, the HTTP component and the secrets redacted.
 */
import { Writable } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';
import { lazyChildLogger } from '../../../src/http/lazy-child-logger.js';
import { createHttpServer } from '../../../src/http/server.js';
import { createLogger } from '../../../src/log.js';
import { createMetrics } from '../../../src/metrics.js';

function capture(level: string) {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { log: createLogger({ level, destination }), lines };
}

describe('lazyChildLogger', () => {
  it('makes the pino child only for a line that is written, and writes it with bindings and redaction', () => {
    const { log, lines } = capture('warn');
    const child = vi.spyOn(log, 'child');
    const logger = lazyChildLogger(log, { reqId: 'req-1' });
    logger.info('dropped');
    logger.debug({ token: 'dropped-too' }, 'dropped');
    expect(child).not.toHaveBeenCalled();
    expect(lines).toEqual([]);
    logger.warn({ token: 'hunter2', req: { headers: { authorization: 'Bearer abc' } } }, 'written');
    logger.error('also written');
    expect(child).toHaveBeenCalledTimes(1);
    expect(lines.map((l) => [l.msg, l.reqId, l.app])).toEqual([
      ['written', 'req-1', 'coxswain'],
      ['also written', 'req-1', 'coxswain'],
    ]);
    expect(lines[0]?.token).toBe('[redacted]');
    expect(JSON.stringify(lines)).not.toMatch(/hunter2|Bearer abc/);
  });

  it('follows a level given for the child (a route log level), not only the parent', () => {
    const { log, lines } = capture('warn');
    const logger = lazyChildLogger(log, { reqId: 'req-2' }, { level: 'debug' });
    logger.debug('debug line');
    logger.trace('trace line');
    expect(lines.map((l) => l.msg)).toEqual(['debug line']);
    const silent = lazyChildLogger(log, { reqId: 'req-3' }, { level: 'silent' });
    silent.fatal('nothing');
    expect(lines).toHaveLength(1);
  });
});

describe('the HTTP server with lazy request loggers', () => {
  it('logs a route warning with the request id and the secrets redacted, and nothing at info', async () => {
    const { log, lines } = capture('info');
    const app = createHttpServer({ log, metrics: createMetrics({ defaults: false }), readiness: [] });
    app.post('/hook', async (request) => {
      request.log.info('below the HTTP level');
      request.log.warn({ token: 'hunter2' }, 'route warning');
      return { ok: true };
    });
    const reply = await app.inject({ method: 'POST', url: '/hook', payload: { a: 1 } });
    expect(reply.statusCode).toBe(200);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ msg: 'route warning', component: 'http', token: '[redacted]' });
    expect(typeof lines[0]?.reqId).toBe('string');
    await app.close();
  });
});

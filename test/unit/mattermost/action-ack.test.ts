import { describe, expect, it } from 'vitest';
import { ActionAck } from '../../../adapters/chat/mattermost/action-ack.js';

describe('button ack window', () => {
  it('carries the first update and ephemeral text when the handler answers in time', async () => {
    const ack = new ActionAck(5_000);
    expect(ack.offerUpdate({ message: 'silenced by @alice' })).toBe(true);
    expect(ack.offerUpdate({ message: 'second' })).toBe(false);
    expect(ack.offerEphemeral('done')).toBe(true);
    ack.send();
    expect(await ack.response).toEqual({ update: { message: 'silenced by @alice' }, ephemeral_text: 'done' });
  });

  it('answers empty at the deadline and then lets later answers take the REST API', async () => {
    const ack = new ActionAck(20);
    const started = Date.now();
    expect(await ack.response).toEqual({});
    expect(Date.now() - started).toBeGreaterThanOrEqual(15);
    expect(ack.offerUpdate({ message: 'late' })).toBe(false);
    expect(ack.offerEphemeral('late')).toBe(false);
  });
});

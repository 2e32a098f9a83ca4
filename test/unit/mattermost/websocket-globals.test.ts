import { afterEach, describe, expect, it } from 'vitest';
import { ensureGlobals } from '../../../adapters/chat/mattermost/websocket.js';

const g = globalThis as Record<string, unknown>;
const original = g.CloseEvent;

afterEach(() => {
  g.CloseEvent = original;
});

describe('WebSocket globals for @mattermost/client', () => {
  it('provides a CloseEvent where Node lacks one (Node 20), as the ping-timeout path builds it', () => {
    delete g.CloseEvent;
    ensureGlobals();
    const Ctor = g.CloseEvent as new (
      type: string,
      init: { code: number; wasClean: boolean },
    ) => Event & { code: number; wasClean: boolean; reason: string };
    const event = new Ctor('close', { code: 4000, wasClean: false });
    expect(event).toBeInstanceOf(Event);
    expect([event.type, event.code, event.wasClean, event.reason]).toEqual(['close', 4000, false, '']);
  });

  it('keeps a native CloseEvent', () => {
    const native = class extends Event {};
    g.CloseEvent = native;
    ensureGlobals();
    expect(g.CloseEvent).toBe(native);
  });
});

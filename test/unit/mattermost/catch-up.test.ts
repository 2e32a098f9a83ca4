import type { Post } from '@mattermost/types/posts';
import { describe, expect, it } from 'vitest';
import {
  ANY_CHANNEL,
  awayNotice,
  catchUpSince,
  LOOK_BACK_MS,
  newPostsSince,
  SeenIds,
  tooOldToRun,
} from '../../../adapters/chat/mattermost/catch-up.js';

const NOW = 1_800_000_000_000;

function post(id: string, createAt: number, extra: Partial<Post> = {}): Post {
  return { id, create_at: createAt, update_at: createAt, delete_at: 0, message: id, ...extra } as Post;
}

describe('catch-up: where to fetch from', () => {
  it('is nothing on a store that has never seen a post (a first start missed nothing)', () => {
    expect(catchUpSince({}, 'c1', NOW)).toBeUndefined();
  });

  it("uses the channel's own cursor, else the newest post handled anywhere", () => {
    const cursors = { c1: NOW - 5000, [ANY_CHANNEL]: NOW - 1000 };
    expect(catchUpSince(cursors, 'c1', NOW)).toBe(NOW - 5000);
    expect(catchUpSince(cursors, 'new-dm', NOW)).toBe(NOW - 1000);
  });

  it('never looks back further than a day', () => {
    expect(catchUpSince({ c1: NOW - 3 * LOOK_BACK_MS, [ANY_CHANNEL]: 1 }, 'c1', NOW)).toBe(
      NOW - LOOK_BACK_MS,
    );
  });
});

describe('catch-up: which posts are new', () => {
  it('keeps posts created after the cursor, oldest first; drops edited old posts and deleted ones', () => {
    const since = NOW - 10_000;
    const list = {
      order: ['d', 'c', 'b', 'a', 'x'],
      posts: {
        a: post('a', NOW - 9000),
        b: post('b', NOW - 2000),
        c: post('c', NOW - 5000),
        // Edited (or reacted to) since the cursor, but typed before it: seen live already.
        d: post('d', NOW - 20_000, { update_at: NOW - 1000, edit_at: NOW - 1000 }),
        // Exactly at the cursor: that is the post the cursor was stored for.
        e: post('e', since),
        x: post('x', NOW - 3000, { delete_at: NOW - 100 }),
      },
    };
    expect(newPostsSince(list, since).map((p) => p.id)).toEqual(['a', 'c', 'b']);
  });

  it('handles an empty answer', () => {
    expect(newPostsSince({ order: [], posts: {} }, 0)).toEqual([]);
  });
});

describe('catch-up: too old to run', () => {
  it('runs what is at most the limit old, not what is older', () => {
    expect(tooOldToRun(NOW - 600_000, NOW, 600_000)).toBe(false);
    expect(tooOldToRun(NOW - 600_001, NOW, 600_000)).toBe(true);
    expect(tooOldToRun(NOW - 1000, NOW, 600_000)).toBe(false);
  });

  it('runs a post without a server time (never seen from Mattermost, but not refused for it)', () => {
    expect(tooOldToRun(undefined, NOW, 1)).toBe(false);
  });

  it('tells the person how long ago, in minutes once it is a minute old, and to run it again', () => {
    expect(awayNotice('@bob', 42 * 60_000 + 20_000)).toBe(
      '@bob: this was typed 42m ago while coxswain was away; run it again if still needed.',
    );
    expect(awayNotice('@bob', 2 * 3_600_000 + 5 * 60_000)).toContain('typed 2h5m ago');
    expect(awayNotice('@bob', 35_400)).toContain('typed 35s ago');
  });
});

describe('catch-up: seen ids', () => {
  it('takes an id once, and forgets the oldest beyond its limit', () => {
    const seen = new SeenIds(2);
    expect(seen.add('a')).toBe(true);
    expect(seen.add('a')).toBe(false);
    expect(seen.add('b')).toBe(true);
    expect(seen.add('c')).toBe(true);
    expect(seen.add('a')).toBe(true);
    expect(seen.add('c')).toBe(false);
  });
});

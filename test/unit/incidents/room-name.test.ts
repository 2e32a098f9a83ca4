import { describe, expect, it } from 'vitest';
import { ROOM_NAME_MAX, roomName, slugify } from '../../../src/incidents/room-name.js';

describe('slugify', () => {
  it('keeps lowercase words joined by single dashes', () => {
    expect(slugify('Postgres failover LOOP!')).toBe('postgres-failover-loop');
    expect(slugify('  --db__down // again--  ')).toBe('db-down-again');
  });

  it('folds accents and drops what no chat allows in a channel name', () => {
    expect(slugify('Ceph: dégradé, 3 OSDs ↓')).toBe('ceph-degrade-3-osds');
    expect(slugify('@all <script>alert(1)</script>')).toBe('all-script-alert-1-script');
  });

  it('falls back to "incident" when nothing is left', () => {
    expect(slugify('!!! ??? ...')).toBe('incident');
    expect(slugify('数据库宕机')).toBe('incident');
  });

  it('cuts long titles at a word boundary without a trailing dash, leaving room for a suffix', () => {
    const slug = slugify(`${'a'.repeat(40)} ${'b'.repeat(40)}`);
    expect(slug).toBe('a'.repeat(40));
    const name = roomName('20261123', `${'x'.repeat(200)}`, new Set());
    expect(name.length).toBeLessThanOrEqual(ROOM_NAME_MAX - 3);
  });
});

describe('roomName', () => {
  const date = '20261123';

  it('is inc-YYYYMMDD-<slug>', () => {
    expect(roomName(date, 'DB down', new Set())).toBe('inc-20261123-db-down');
  });

  it('gives the same title on the same day -2, -3, … and stays within the length limit', () => {
    const taken = new Set<string>();
    const names: string[] = [];
    for (let i = 0; i < 12; i++) {
      const name = roomName(date, 'DB down', taken);
      taken.add(name);
      names.push(name);
    }
    expect(names.slice(0, 3)).toEqual([
      'inc-20261123-db-down',
      'inc-20261123-db-down-2',
      'inc-20261123-db-down-3',
    ]);
    expect(new Set(names).size).toBe(12);
    const long = roomName(date, 'y'.repeat(300), new Set([roomName(date, 'y'.repeat(300), new Set())]));
    expect(long.endsWith('-2')).toBe(true);
    expect(long.length).toBeLessThanOrEqual(ROOM_NAME_MAX);
  });

  it('does not collide across days or with a different title', () => {
    const taken = new Set(['inc-20261123-db-down']);
    expect(roomName('20261124', 'DB down', taken)).toBe('inc-20261124-db-down');
    expect(roomName(date, 'DB down hard', taken)).toBe('inc-20261123-db-down-hard');
  });
});

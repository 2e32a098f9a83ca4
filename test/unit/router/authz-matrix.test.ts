/**
 * Every role (and no role) against every registered command: a command is denied exactly when
 * the role is below the least role this file's own table names (README's command table), and
 * the denial names that role. The table is written here, not read from the permission table, so a
 * permission that drifts from the design fails; a command without a row fails too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allGroups } from '../../../commands/index.js';
import type { Role } from '../../../src/auth/config-schema.js';
import { allows } from '../../../src/auth/permissions.js';
import { type CommandSpec, commandPath } from '../../../src/router/spec.js';
import { createHarness, type Harness, ROLE_USER } from '../../support/router-harness.js';

/** The smallest argument list that passes validation, so the test reaches authorization. */
/** Arguments for commands whose checks want more than a placeholder word. */
const SAMPLE_ARGS: Record<string, string> = {
  'oncall override': '@bob --until 12h',
  'oncall swap': '2026-11-30 2026-12-07',
  'oncall cancel': '1',
};

function validArgs(spec: CommandSpec): string {
  const sample = SAMPLE_ARGS[commandPath(spec)];
  if (sample !== undefined) return sample;
  const words: string[] = [];
  for (const positional of spec.positionals ?? []) {
    if (positional.required) words.push(positional.choices?.[0] ?? 'apps');
  }
  for (const [name, option] of Object.entries(spec.options ?? {})) {
    if (!option.required) continue;
    const value =
      option.type === 'duration' ? '1h' : option.type === 'number' ? '1' : (option.choices?.[0] ?? 'x');
    words.push(`--${name}`, value);
  }
  return words.join(' ');
}

/** The least role of each command, as the README's command table says; undefined: anyone. */
const LEAST_ROLE: Record<string, Role | undefined> = {
  health: 'viewer',
  mesh: 'viewer',
  'phase list': 'viewer',
  'phase status': 'operator',
  'phase run': 'admin',
  'phase pause': 'admin',
  'drill list': 'viewer',
  'drill plan': 'operator',
  'drill run': 'admin',
  'drill status': 'operator',
  'drill abort': 'admin',
  'silence add': 'operator',
  'silence list': 'viewer',
  'silence expire': 'operator',
  'silence extend': 'operator',
  'incident open': 'operator',
  'incident status': 'viewer',
  'incident note': 'operator',
  'incident assign': 'operator',
  'incident sev': 'operator',
  'incident link-alert': 'operator',
  'incident resolve': 'operator',
  'incident list': 'viewer',
  oncall: 'viewer',
  'oncall shifts': 'viewer',
  'oncall override': 'operator',
  'oncall swap': 'operator',
  'oncall cancel': 'operator',
  audit: 'admin',
  get: 'viewer',
  describe: 'viewer',
  events: 'viewer',
  logs: 'operator',
  'rollout restart': 'operator',
  scale: 'operator',
  'flux get': 'viewer',
  'flux reconcile': 'operator',
  'flux suspend': 'operator',
  'flux resume': 'operator',
  alerts: 'viewer',
  'maintenance start': 'operator',
  'maintenance list': 'viewer',
  'maintenance end': 'operator',
  help: undefined,
};
const RANK: Record<string, number> = { none: 0, viewer: 1, operator: 2, admin: 3 };
const below = (role: Role | undefined, least: Role | undefined) =>
  least !== undefined && (RANK[role ?? 'none'] ?? 0) < (RANK[least] ?? 0);

const PEOPLE: [label: string, username: string, role: Role | undefined][] = [
  ['no role', 'mallory', undefined],
  ['viewer', ROLE_USER.viewer, 'viewer'],
  ['operator', ROLE_USER.operator, 'operator'],
  ['admin', ROLE_USER.admin, 'admin'],
];
const specs = allGroups().flatMap((group) => group.commands);

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

describe('the registered commands', () => {
  it('are exactly the ones the table names', () => {
    expect(specs.map(commandPath).sort()).toEqual(Object.keys(LEAST_ROLE).sort());
  });
});

describe.each(PEOPLE)('as %s', (_label, username, role) => {
  it.each(specs.map((spec) => [commandPath(spec), spec] as const))('%s', async (path, spec) => {
    const text = `${path} ${validArgs(spec)}`.trim();
    const r = await h.run(username, text);
    const [entry] = await h.store.listAudit({ username, limit: 1 });
    expect(entry?.command).toBe(path);
    const least = LEAST_ROLE[path];
    if (!below(role, least)) {
      expect(entry?.outcome, r.texts.join('\n')).not.toBe('denied');
      expect(entry?.outcome).not.toBe('invalid');
    } else {
      expect(entry?.outcome).toBe('denied');
      expect(r.texts[0]).toContain(`needs the ${least} role`);
    }
  });
});

describe('role bindings', () => {
  it('grants by group and by channel, and the highest matching role wins', async () => {
    const byGroup = await h.run({ id: 'g', username: 'gina', groups: ['oncall'] }, 'silence expire abc');
    expect(byGroup.texts[0]).not.toContain('needs the');
    const admin = await h.run({ id: 'a', username: 'adam', groups: ['oncall'] }, 'audit');
    expect(admin.texts[0]).not.toContain('needs the');
  });

  it('denies by default', async () => {
    const r = await h.run('stranger', 'mesh');
    expect(r.texts[0]).toBe(
      '`/ops mesh` needs the viewer role; you have no role here. Ask an admin of coxswain to bind you to viewer (auth.bindings in its config).',
    );
  });
});

describe('the permission table follows the design', () => {
  it.each([
    ['viewer', 'health:read', true],
    ['viewer', 'silence:write', false],
    ['operator', 'silence:write', true],
    ['operator', 'incident:write', true],
    ['operator', 'drill:run', false],
    ['operator', 'phase:run', false],
    ['operator', 'audit:read', false],
    ['admin', 'drill:run', true],
    ['admin', 'phase:run', true],
    [undefined, 'health:read', false],
    [undefined, 'help', true],
  ] as const)('%s may %s: %s', (role, permission, expected) => {
    expect(allows(role, permission)).toBe(expected);
  });
});

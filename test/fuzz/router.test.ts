/**
 * Property-based tests of the command parser and router with hostile input: quotes, unicode,
 * control characters, 100 KB lines, shell metacharacters, `--` tricks, prototype keys. Runs are
 * bounded; on failure fast-check prints the seed and the shrunk input to replay.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allGroups } from '../../commands/index.js';
import type { CommandGroup } from '../../src/router/spec.js';
import { tokenize } from '../../src/router/tokenize.js';
import { createHarness, type Harness } from '../support/router-harness.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 300);

const hostileWord = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.constantFrom(
    '--',
    '-',
    '--__proto__',
    '--constructor.prototype.x',
    '__proto__',
    '--dry-run=false',
    '--no-dry-run',
    '"',
    "'",
    '\u201c',
    '$(id)',
    '`id`',
    ';rm -rf /',
    '|',
    '&&',
    '\u0000',
    '\u202e',
    '@all',
    '<!here>',
    '--cluster',
    '--for',
    '-o',
    '--node=../../etc',
  ),
);
const groupWord = fc.constantFrom(
  ...allGroups().flatMap((g) => [g.name, ...g.commands.flatMap((c) => (c.name ? [c.name] : []))]),
);
const line = fc.array(fc.oneof(hostileWord, groupWord), { maxLength: 12 }).map((words) => words.join(' '));

let h: Harness;
const ran: string[] = [];
/** Every real group, plus a spy group whose handler records that it ran. */
function groups(): CommandGroup[] {
  return [
    ...allGroups(),
    {
      name: 'spy',
      summary: 'records runs',
      commands: [
        {
          group: 'spy',
          summary: 'spy',
          permission: 'help',
          positionals: [{ name: 'rest', description: 'r', variadic: true }],
          run: async (ctx) => {
            ran.push(JSON.stringify(ctx.args));
            await ctx.reply('spied');
          },
        },
      ],
    },
  ];
}

beforeAll(async () => {
  h = await createHarness({ groups: groups() });
});
afterAll(() => h.close());

describe('router under hostile input', () => {
  it('always answers exactly once, never throws, and audits every line', async () => {
    await fc.assert(
      fc.asyncProperty(line, async (text) => {
        const before = (await h.store.listAudit({ limit: 1 }))[0]?.at;
        h.clock.now += 1;
        const r = await h.run('alice', text);
        expect(r.answers.length).toBeGreaterThanOrEqual(1);
        expect(r.answers.every((a) => typeof a.message.text === 'string' && a.message.text.length > 0)).toBe(
          true,
        );
        const [entry] = await h.store.listAudit({ limit: 1 });
        expect(entry?.at).not.toBe(before);
      }),
      { numRuns: RUNS },
    );
  });

  it('never runs a command other than the one named', async () => {
    await fc.assert(
      fc.asyncProperty(line, async (text) => {
        ran.length = 0;
        await h.run('alice', text);
        const tokens = tokenize(text);
        const named = 'words' in tokens ? tokens.words[0]?.toLowerCase() : undefined;
        if (named !== 'spy') expect(ran).toEqual([]);
      }),
      { numRuns: RUNS },
    );
  });

  it('does not pollute prototypes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(hostileWord, { maxLength: 8 }), async (words) => {
        await h.run('alice', `audit ${words.join(' ')}`);
        await h.run('alice', `spy ${words.join(' ')}`);
        expect(Object.keys(Object.prototype)).toEqual([]);
        expect(({} as Record<string, unknown>).x).toBeUndefined();
      }),
      { numRuns: RUNS },
    );
  });

  it('answers a 100 KB line quickly and clearly', async () => {
    const long = `health ${'x'.repeat(100_000)}`;
    const r = await h.run('alice', long);
    expect(r.texts[0]).toContain('Unexpected argument');
    const unknown = await h.run('alice', 'y'.repeat(100_000));
    expect(unknown.texts[0]?.length).toBeLessThan(1000);
  });

  it('keeps what follows `--` as plain words', async () => {
    ran.length = 0;
    await h.run('alice', 'spy -- --__proto__ --dry-run');
    expect(ran).toEqual([JSON.stringify({ rest: ['--__proto__', '--dry-run'] })]);
  });
});

describe('tokenizer', () => {
  it('either splits or reports an unclosed quote, for any string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (text) => {
        const result = tokenize(text);
        if ('error' in result) expect(result.error).toMatch(/is not closed/);
        else for (const word of result.words) expect(typeof word).toBe('string');
      }),
      { numRuns: RUNS * 3 },
    );
  });

  it('round-trips words quoted the way a person would', () => {
    const safeWord = fc.string({ minLength: 1, maxLength: 10 }).filter((w) => !/["\\\u201c\u201d]/.test(w));
    fc.assert(
      fc.property(fc.array(safeWord, { maxLength: 8 }), (words) => {
        const text = words.map((w) => `"${w}"`).join(' ');
        expect(tokenize(text)).toEqual({ words });
      }),
      { numRuns: RUNS },
    );
  });
});

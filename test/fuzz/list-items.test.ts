/**
 * adapters/kube/list-items.ts against JSON.parse: for any list of JSON objects (strings with
 * quotes, backslashes, brackets and any Unicode), split into chunks anywhere, the items handed
 * over are JSON.parse's items and the rest is the list without them.
 *
 * Runs are bounded (FUZZ_RUNS); on failure fast-check prints the seed; replay with FUZZ_SEED.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ListItemsParser } from '../../adapters/kube/list-items.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 300);
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);

// Mostly the characters a scanner can get wrong (quotes, escapes, brackets, multi-byte UTF-8).
const tricky = fc.constantFrom('"', '\\', '{', '}', '[', ']', ',', ':', 'a', 'é', '日', '🚀', 'items');
const text = fc.oneof(
  fc.string({ unit: tricky, maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
);
const json = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    text,
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    tie('object'),
  ),
  object: fc.dictionary(text, tie('value'), { maxKeys: 4 }),
})) as { value: fc.Arbitrary<unknown>; object: fc.Arbitrary<Record<string, unknown>> };

describe('ListItemsParser (property)', () => {
  it('equals JSON.parse for any list and any chunking', () => {
    fc.assert(
      fc.property(
        json.object,
        fc.array(json.object, { maxLength: 8 }),
        fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 20 }),
        fc.boolean(),
        (metadata, items, sizes, pretty) => {
          const list = { kind: 'List', metadata, items };
          const bytes = new TextEncoder().encode(JSON.stringify(list, null, pretty ? 1 : undefined));
          const got: unknown[] = [];
          const parser = new ListItemsParser((item) => got.push(item));
          let at = 0;
          for (let i = 0; at < bytes.length; i++) {
            const size = sizes[i % sizes.length] as number;
            parser.write(bytes.slice(at, at + size));
            at += size;
          }
          expect(got).toEqual(JSON.parse(JSON.stringify(items)));
          expect(parser.end()).toEqual(JSON.parse(JSON.stringify({ ...list, items: [] })));
        },
      ),
      SEED === undefined ? { numRuns: RUNS } : { numRuns: RUNS, seed: SEED },
    );
  });
});

/**
 * adapters/kube/list-items.ts on whole list responses split into chunks at every byte: each item
 * handed over as it completes, the rest of the list (metadata, continue token) kept.
 */
import { describe, expect, it } from 'vitest';
import { ListItemsParser } from '../../../adapters/kube/list-items.js';

function parseChunks(chunks: Uint8Array[]) {
  const items: Record<string, unknown>[] = [];
  const parser = new ListItemsParser((item) => items.push(item));
  for (const chunk of chunks) parser.write(chunk);
  return { items, rest: parser.end() };
}

function split(bytes: Uint8Array, size: number): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.slice(i, i + size));
  return chunks;
}

const pod = (name: string) => ({
  metadata: {
    name,
    namespace: 'load',
    labels: { app: 'scale', 'tricky"}]': '[{\\' },
    annotations: { note: 'ünïcödé 日本語 🚀 "quoted" \\ back\\slash }]{[' },
    managedFields: [{ manager: 'kwok', fieldsV1: { 'f:status': { '.': {} } } }],
  },
  spec: { containers: [{ name: 'c', args: ['[', ']', '{', '}'] }], items: [{ nested: true }] },
  status: { phase: 'Running', podIP: '10.0.0.1' },
});

const list = {
  kind: 'PodList',
  apiVersion: 'v1',
  metadata: { resourceVersion: '23750', continue: 'eyJ2IjoibWV0YS5rOHMuaW8vdjEifQ==', items: 'not these' },
  items: [pod('a'), pod('b'), pod('c-ü')],
};

describe('ListItemsParser', () => {
  it('hands over every item and keeps the rest, whatever the chunk size (1 byte to whole)', () => {
    const bytes = new TextEncoder().encode(JSON.stringify(list));
    for (const size of [1, 2, 3, 7, 64, 1000, bytes.length]) {
      const { items, rest } = parseChunks(split(bytes, size));
      expect(items).toEqual(list.items);
      expect(rest).toEqual({ ...list, items: [] });
    }
  });

  it('reads lists with whitespace, items before metadata, and no items', () => {
    const reordered = { items: list.items, metadata: list.metadata, kind: 'PodList' };
    const bytes = new TextEncoder().encode(JSON.stringify(reordered, null, 2));
    for (const size of [1, 5, bytes.length]) {
      const { items, rest } = parseChunks(split(bytes, size));
      expect(items).toEqual(list.items);
      expect(rest).toEqual({ ...reordered, items: [] });
    }
    const empty = parseChunks([new TextEncoder().encode('{"kind":"PodList","metadata":{},"items":[]}')]);
    expect(empty.items).toEqual([]);
    expect(empty.rest.kind).toBe('PodList');
    const none = parseChunks([
      new TextEncoder().encode('{"kind":"PodList","metadata":{"resourceVersion":"1"}}'),
    ]);
    expect(none).toEqual({ items: [], rest: { kind: 'PodList', metadata: { resourceVersion: '1' } } });
  });

  it('refuses a body cut short', () => {
    const bytes = new TextEncoder().encode(JSON.stringify(list));
    const parser = new ListItemsParser(() => undefined);
    parser.write(bytes.slice(0, bytes.length - 40));
    expect(() => parser.end()).toThrow(/ended before/);
  });
});

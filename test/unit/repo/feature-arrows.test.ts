import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// Arrows one way between the folders of src/ (issue 19): no folder may reach itself again
// through its imports, type imports included (they are still knowledge one folder has of
// another). src/config composes the features' config schemas, so a feature that imported
// config/schema.ts would close a loop; that is how this also keeps the config types with their
// features. Files directly in src/ (main.ts, ports.ts, services.ts, ...) are the composition
// root and the shared vocabulary, not a folder, and are not counted.
const src = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'src');

type Graph = Map<string, Map<string, string[]>>;

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return tsFiles(path);
    return e.name.endsWith('.ts') ? [path] : [];
  });
}

function folderOf(path: string): string | undefined {
  const parts = relative(src, path).split('/');
  return parts.length > 1 ? parts[0] : undefined;
}

/** Folder → folder it imports → the imports (`from-file -> to-file`) that make the arrow. */
function importGraph(): Graph {
  const graph: Graph = new Map();
  for (const file of tsFiles(src)) {
    const from = folderOf(file);
    if (!from) continue;
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s+'(\.[^']+)'/gm)) {
      const target = resolve(dirname(file), (match[1] as string).replace(/\.js$/, '.ts'));
      const to = folderOf(target);
      if (!to || to === from || !target.startsWith(src)) continue;
      const edge = `${relative(src, file)} -> ${relative(src, target)}`;
      const targets = graph.get(from) ?? new Map<string, string[]>();
      graph.set(from, targets);
      targets.set(to, [...(targets.get(to) ?? []), edge]);
    }
  }
  return graph;
}

/** Every loop, as the folders in order with the imports of each step, once per loop. */
function loops(graph: Graph): string[] {
  const found = new Set<string>();
  const walk = (start: string, at: string, path: string[]) => {
    for (const [next, edges] of graph.get(at) ?? []) {
      const step = `${at} -> ${next} (${edges.join(', ')})`;
      if (next === start) found.add([...path, step].join('; '));
      // Only from the smallest folder of a loop, so each loop is reported once.
      else if (next > start && !path.some((s) => s.startsWith(`${next} ->`)))
        walk(start, next, [...path, step]);
    }
  };
  for (const start of graph.keys()) walk(start, start, []);
  return [...found];
}

describe('imports between the folders of src/ point one way', () => {
  it('has no loop between folders', () => {
    expect(loops(importGraph())).toEqual([]);
  });

  it('finds a loop when there is one (the walk is live)', () => {
    const graph: Graph = new Map([
      ['alerts', new Map([['incidents', ['alerts/render.ts -> incidents/actions.ts']]])],
      ['incidents', new Map([['store', ['incidents/engine.ts -> store/store.ts']]])],
      ['store', new Map([['alerts', ['store/x.ts -> alerts/group.ts']]])],
      ['auth', new Map([['store', ['auth/a.ts -> store/store.ts']]])],
    ]);
    expect(loops(graph)).toEqual([
      'alerts -> incidents (alerts/render.ts -> incidents/actions.ts); incidents -> store (incidents/engine.ts -> store/store.ts); store -> alerts (store/x.ts -> alerts/group.ts)',
    ]);
  });

  it('reads the real tree: features import their neighbours, and phases no longer import drills (RunChat lives in src/runs/)', () => {
    const graph = importGraph();
    expect([...(graph.get('config')?.keys() ?? [])]).toContain('alerts');
    expect([...(graph.get('drills')?.keys() ?? [])]).toContain('phases');
    expect(graph.get('phases')?.has('drills') ?? false).toBe(false);
  });
});

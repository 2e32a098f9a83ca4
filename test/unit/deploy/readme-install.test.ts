/**
 * The README's "Install on the platform" section against what it describes: every chart value it
 * names exists in the values schema, every file it names exists, and the registry, chart and
 * secret names it gives are the ones the chart and the Flux objects use.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { configSchema } from '../../../src/config/schema.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const readme = readFileSync(`${root}README.md`, 'utf8');
const start = readme.indexOf('## Install on the platform');
const next = readme.indexOf('\n## ', start + 1);
const section = readme.slice(start, next === -1 ? undefined : next);
const schema = JSON.parse(readFileSync(`${root}charts/coxswain/values.schema.json`, 'utf8'));
const values = parse(readFileSync(`${root}charts/coxswain/values.yaml`, 'utf8'));

interface SchemaNode {
  properties?: Record<string, SchemaNode>;
}

function schemaHas(path: string[]): boolean {
  let node: SchemaNode | undefined = schema;
  for (const key of path) {
    node = node?.properties?.[key];
    if (!node) return false;
  }
  return true;
}

/** The backticked names in the first column of the section's table of values. */
function valueNames(): string[] {
  const rows = section.split('\n').filter((line) => line.startsWith('| `'));
  return rows.flatMap((row) =>
    [...(row.split('|')[1] ?? '').matchAll(/`([a-zA-Z.*]+)`/g)].map((m) => m[1] as string),
  );
}

describe('the README install section', () => {
  it('exists', () => {
    expect(start).toBeGreaterThan(-1);
    expect(valueNames().length).toBeGreaterThan(10);
  });

  it('names only chart values the schema knows', () => {
    for (const name of valueNames()) {
      const path = name.replace(/\.\*$/, '').split('.');
      expect({ name, known: schemaHas(path) }).toEqual({ name, known: true });
    }
  });

  it('names only config keys coxswain knows', () => {
    for (const m of section.matchAll(/`config\.([a-zA-Z]+)[.`]/g))
      expect({ key: m[1], known: Object.hasOwn(configSchema.shape, m[1] as string) }).toEqual({
        key: m[1],
        known: true,
      });
  });

  it('names only files that exist', () => {
    const paths = [...section.matchAll(/`((?:deploy|charts|adapters|test)\/[^`\s]*)`/g)].map(
      (m) => m[1] as string,
    );
    expect(paths.length).toBeGreaterThan(5);
    for (const path of paths)
      expect({ path, exists: existsSync(`${root}${path}`) }).toEqual({ path, exists: true });
  });

  it('pushes the image and the chart where the chart and Flux pull them from', () => {
    expect(section).toContain(`docker push ${values.image.registry}/${values.image.repository}:`);
    const source = parseAllDocuments(
      readFileSync(`${root}deploy/flux/kubernetes/workloads/coxswain/ocirepository.yaml`, 'utf8'),
    )[0]?.toJS();
    const pushTo = /helm push \S+ (oci:\/\/\S+)/.exec(section)?.[1];
    expect(pushTo).toBeDefined();
    expect(source.spec.url).toBe(`${pushTo}/coxswain`);
  });

  it('names the secret keys the default ExternalSecret reads', () => {
    for (const entry of values.secrets.externalSecret.data)
      expect(section).toContain(`\`${entry.secretKey}\``);
  });
});

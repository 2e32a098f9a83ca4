/**
 * kubectl's conventions across every command: what reads a cluster takes --cluster, what lists
 * takes -o json|yaml, and both behave (an unknown cluster is a sentence; the data is parseable).
 */
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { allGroups } from '../../../commands/index.js';
import { loadDrills } from '../../../src/drills/definitions.js';
import { DrillEngine } from '../../../src/drills/engine.js';
import { HealthEngine } from '../../../src/health/engine.js';
import { loadPhases, parsePhases } from '../../../src/phases/definitions.js';
import { PhaseEngine } from '../../../src/phases/engine.js';
import { commandPath } from '../../../src/router/spec.js';
import { usageLine } from '../../../src/router/usage.js';
import { structuredBlock } from '../../../src/text/structured.js';
import { createHarness, type Harness } from '../../support/router-harness.js';
import { MemoryReader } from '../health/fake-reader.js';

/** The commands that read a cluster's state and the lists among them, by path. */
const READS_A_CLUSTER = [
  'health',
  'mesh',
  'phase list',
  'phase status',
  'drill plan',
  'drill status',
  'incident list',
  'get',
  'describe',
  'events',
  'logs',
  'flux get',
];
const LISTS = [
  'health',
  'mesh',
  'phase list',
  'phase status',
  'drill list',
  'drill status',
  'silence list',
  'incident list',
  'audit',
  'alerts',
  'maintenance list',
  'get',
  'events',
  'flux get',
];

const specs = new Map(allGroups().flatMap((g) => g.commands.map((s) => [commandPath(s), s] as const)));

describe('conventions in the specs', () => {
  it.each(READS_A_CLUSTER)('%s takes --cluster', (path) => {
    expect(specs.get(path)?.options?.cluster?.placeholder).toBe('C');
  });

  it.each(LISTS)('%s takes -o json|yaml, and its usage says so', (path) => {
    const output = specs.get(path)?.options?.output;
    expect(output?.alias).toBe('o');
    expect(output?.choices).toEqual(expect.arrayContaining(['json', 'yaml']));
    expect(usageLine('/ops', specs.get(path)!)).toMatch(/\[--output [a-z|]*json\|yaml\]/);
  });
});

describe('structured output', () => {
  it('keeps a fence in the data from closing the code block', () => {
    const block = structuredBlock({ note: 'a ``` b' }, 'json');
    expect(block.split('\n').filter((l) => l.includes('```'))).toEqual(['```json', '```']);
    expect(JSON.parse(block.split('\n').slice(1, -1).join('\n').replaceAll('\u200b', '')).note).toBe(
      'a ``` b',
    );
  });
});

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const CLUSTERS = {
  clusters: [
    { name: 'infra', inCluster: true },
    { name: 'apps', inCluster: true },
  ],
};
const noClusters = { names: () => [], get: () => undefined };
const noChat = {
  post: async () => ({ platform: 'test', channelId: 'c', postId: 'p' }),
  update: async () => undefined,
  resolveChannel: async (name: string) => ({ channelId: name }),
};

// The shipped plan touches both clusters in every phase, so the filter is shown on a plan of one
// infra-only and one apps-only phase.
const SPLIT_PLAN = `
phases:
  - name: infra-only
    title: infra only
    flux: [{ name: infra-base, clusters: [infra] }]
    checks: []
  - name: apps-only
    title: apps only
    flux: [{ name: apps-base, clusters: [apps] }]
    checks: []
`;

function engines(phases = loadPhases()) {
  const log = pino({ level: 'silent' });
  return createHarness({
    config: CLUSTERS,
    services: (store, now) => ({
      health: new HealthEngine({
        readers: [new MemoryReader('infra', {}), new MemoryReader('apps', {})],
        rpoMs: 86_400_000,
        certificateWarningMs: 86_400_000,
        progressAfterMs: 60_000,
        timeoutMs: 5_000,
      }),
      phases: new PhaseEngine({ store, clusters: noClusters, chat: noChat, phases, log, now }),
      drills: new DrillEngine({
        store,
        clusters: noClusters,
        chat: noChat,
        drills: loadDrills(),
        log,
        alerts: { firingCritical: async () => [] },
        now,
      }),
    }),
  });
}

describe('--cluster', () => {
  it.each([
    'health --cluster prod',
    'mesh --cluster prod',
    'phase list --cluster prod',
    'drill status --cluster prod',
  ])('%s: an unknown cluster is a sentence naming the real ones', async (text) => {
    h = await engines();
    const r = await h.run('alice', text);
    expect(r.texts).toEqual(['There is no cluster prod in the config; the clusters are: infra, apps.']);
  });

  it('phase list --cluster shows only the phases that touch that cluster', async () => {
    h = await engines(parsePhases(SPLIT_PLAN));
    const all = parseYaml(codeOf((await h.run('alice', 'phase list -o yaml')).texts[0])) as {
      name: string;
      clusters: string[];
    }[];
    const infra = parseYaml(
      codeOf((await h.run('alice', 'phase list --cluster infra -o yaml')).texts[0]),
    ) as {
      name: string;
    }[];
    const expected = all.filter((p) => p.clusters.includes('infra')).map((p) => p.name);
    expect(infra.map((p) => p.name)).toEqual(expected);
    expect(expected.length).toBeGreaterThan(0);
    expect(expected.length).toBeLessThan(all.length);
  });
});

function codeOf(text: string | undefined): string {
  const lines = (text ?? '').split('\n');
  expect(lines[0]).toMatch(/^```(json|yaml)$/);
  expect(lines.at(-1)).toBe('```');
  return lines.slice(1, -1).join('\n');
}

describe('-o json|yaml', () => {
  it('audit -o json is the entries as JSON', async () => {
    h = await engines();
    await h.run('victor', 'health');
    const entries = JSON.parse(codeOf((await h.run('alice', 'audit -o json')).texts[0])) as {
      username: string;
      command: string;
    }[];
    expect(entries[0]).toMatchObject({ username: 'victor', command: 'health' });
  });

  it('drill list -o yaml names every drill with its objective', async () => {
    h = await engines();
    const drills = parseYaml(codeOf((await h.run('alice', 'drill list -o yaml')).texts[0])) as {
      name: string;
      objective: string;
    }[];
    expect(drills.map((d) => d.name)).toEqual(loadDrills().map((d) => d.name));
  });

  it('mesh -o json --cluster apps is the report of that cluster only', async () => {
    h = await engines();
    const report = JSON.parse(codeOf((await h.run('alice', 'mesh --cluster apps -o json')).texts[0])) as {
      clusters: { cluster: string }[];
    };
    expect(report.clusters.map((c) => c.cluster)).toEqual(['apps']);
  });

  it('refuses a format it does not have', async () => {
    h = await engines();
    const r = await h.run('alice', 'drill list -o xml');
    expect(r.texts[0]).toContain('json');
    expect(r.texts[0]).toContain('Usage: `/ops drill list [--output json|yaml]`');
  });
});

describe('help', () => {
  it("names kubectl's short flags beside the long ones", async () => {
    h = await createHarness();
    const r = await h.run('victor', 'help get');
    expect(r.texts[0]).toContain('- `--namespace` (`-n`) the namespace');
    expect(r.texts[0]).toContain('- `--all-namespaces` (`-A`)');
    expect(r.texts[0]).toContain('- `--selector` (`-l`)');
    expect(r.texts[0]).toContain('- `--output` (`-o`)');
  });
});

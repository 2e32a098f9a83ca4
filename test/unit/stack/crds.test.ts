import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify } from 'yaml';

// test/stack/crds/check.mjs, run as a maintainer runs it, on the repository's CRD folder and on
// copies of it with one thing changed. The upstream comparison is fed a directory laid out as
// <repository>/<source path>, as a fresh fetch of upstream would be (no internet here).
const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const crds = join(repo, 'test', 'stack', 'crds');
const SOURCE = 'replicationsources.volsync.backube.yaml';
const UPSTREAM = join(
  'backube',
  'volsync',
  'config',
  'crd',
  'bases',
  'volsync.backube_replicationsources.yaml',
);

function check(...args: string[]): { code: number | null; lines: string[] } {
  const run = spawnSync(process.execPath, [join(crds, 'check.mjs'), ...args], { encoding: 'utf8' });
  return { code: run.status, lines: run.stdout.trim().split('\n') };
}

/** A copy of the lock, the table and the volsync folder, for checks limited to that folder. */
function volsyncCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'coxswain-crds-'));
  for (const f of ['lock.json', 'README.md']) cpSync(join(crds, f), join(dir, f));
  cpSync(join(crds, 'volsync'), join(dir, 'volsync'), { recursive: true });
  return dir;
}

// Each test spawns check.mjs, which hashes and parses 5 MB of YAML: seconds on a loaded 2-core machine.
describe('test/stack/crds/check.mjs', { timeout: 60_000 }, () => {
  it('passes the repository: every copied CRD is locked, with its sha256, facts and table row', () => {
    const { code, lines } = check();
    expect(lines).toEqual(['37 CRD files checked against lock.json and README.md: 0 problem(s)']);
    expect(code).toBe(0);
  });

  it('fails a file whose bytes changed, naming the sha256, and one whose CRD facts changed', () => {
    const dir = volsyncCopy();
    const path = join(dir, 'volsync', SOURCE);
    writeFileSync(path, readFileSync(path, 'utf8').replace('scope: Namespaced', 'scope: Cluster'));
    const { code, lines } = check('--dir', dir, '--project', 'volsync');
    expect(lines[0]).toMatch(
      /^volsync\/replicationsources\.volsync\.backube\.yaml: sha256 [0-9a-f]{64} is not the locked/,
    );
    expect(lines[1]).toContain('"scope":"Cluster"');
    expect(lines.at(-1)).toBe('2 CRD files checked against lock.json and README.md: 2 problem(s)');
    expect(code).toBe(1);
  });

  it('fails a file missing from the lock and a table row that disagrees with the lock', () => {
    const dir = volsyncCopy();
    cpSync(join(dir, 'volsync', SOURCE), join(dir, 'volsync', 'extra.yaml'));
    const readme = join(dir, 'README.md');
    writeFileSync(
      readme,
      readFileSync(readme, 'utf8').replace('| backube/volsync | `5ca54dab', '| backube/volsync | `0000000'),
    );
    const { code, lines } = check('--dir', dir, '--project', 'volsync');
    expect(lines).toContain(
      'volsync/extra.yaml: not in lock.json (every copied CRD needs its provenance and sha256)',
    );
    expect(
      lines.some((l) =>
        l.startsWith(
          'volsync/replicationdestinations.volsync.backube.yaml: README.md says backube/volsync | 0000000',
        ),
      ),
    ).toBe(true);
    expect(code).toBe(1);
  });

  it('compares with upstream as parsed YAML: equal in a multi-document file, different after one change', () => {
    const ours = parseYaml(readFileSync(join(crds, 'volsync', SOURCE), 'utf8'));
    const upstream = mkdtempSync(join(tmpdir(), 'coxswain-upstream-'));
    mkdirSync(dirname(join(upstream, UPSTREAM)), { recursive: true });
    // Another CRD first, then ours, as in a bundle such as Rook's crds.yaml.
    const other = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'x.example.com' },
    };
    writeFileSync(join(upstream, UPSTREAM), `---\n${stringify(other)}---\n${stringify(ours)}`);
    const destinations = join(
      upstream,
      'backube',
      'volsync',
      'config',
      'crd',
      'bases',
      'volsync.backube_replicationdestinations.yaml',
    );
    cpSync(join(crds, 'volsync', 'replicationdestinations.volsync.backube.yaml'), destinations);

    const equal = check('--project', 'volsync', '--upstream', upstream);
    expect(equal.lines).toEqual([
      `2 CRD files checked against lock.json and README.md, 2 against ${upstream}: 0 problem(s)`,
    ]);
    expect(equal.code).toBe(0);

    ours.spec.names.singular = 'replicationsourcex';
    writeFileSync(join(upstream, UPSTREAM), stringify(ours));
    const changed = check('--project', 'volsync', '--upstream', upstream);
    expect(changed.lines[0]).toBe(`volsync/${SOURCE}: differs from ${join(upstream, UPSTREAM)}`);
    expect(changed.code).toBe(1);
  });
});

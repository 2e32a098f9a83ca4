// Checks the copied upstream CRDs (test/stack/crds/<project>/*.yaml) against their pinned lock
// (lock.json) and their provenance table (README.md), and optionally against fresh upstream files.
//
//   node test/stack/crds/check.mjs                    every file is in the lock and the table, with
//                                                     the locked sha256, and holds one CRD whose name,
//                                                     group, kind, scope and versions match the lock
//   node test/stack/crds/check.mjs --upstream DIR     also: DIR/<repository>/<source path> (files
//                                                     fetched from upstream at the locked commit, e.g.
//                                                     DIR/fluxcd/helm-controller/config/crd/bases/…)
//                                                     holds a CRD of that name equal to ours, compared
//                                                     as parsed YAML (ours are re-serialised one CRD a
//                                                     file, so bytes differ from multi-document sources)
//   --project NAME limits any of these to one folder; --dir CRD_DIR checks another copy of the folder
//   node test/stack/crds/check.mjs --write-lock       rewrites lock.json's sha256 and CRD facts from
//                                                     the files (after a deliberate update; review the diff)
//
// Exit 0 when everything checked matches, 1 with one line per problem otherwise.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { parseAllDocuments } from 'yaml';

const here = dirname(fileURLToPath(import.meta.url));

/** @param {string} text @returns {unknown[]} every non-empty YAML document, as plain data */
function documents(text) {
  return parseAllDocuments(text)
    .map((d) => {
      if (d.errors.length > 0) throw new Error(d.errors[0]?.message);
      return d.toJS();
    })
    .filter((d) => d !== null && d !== undefined);
}

/** The facts the lock pins for a CRD object. @param {any} crd */
function facts(crd) {
  return {
    name: crd?.metadata?.name,
    group: crd?.spec?.group,
    kind: crd?.spec?.names?.kind,
    plural: crd?.spec?.names?.plural,
    scope: crd?.spec?.scope,
    versions: (crd?.spec?.versions ?? []).map((v) => ({
      name: v.name,
      served: v.served,
      storage: v.storage,
    })),
  };
}

/** The project folders' YAML files, as "<project>/<file>". @param {string} dir @param {string} [project] */
export function crdFiles(dir, project) {
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && (project === undefined || d.name === project))
    .flatMap((d) =>
      readdirSync(join(dir, d.name))
        .filter((f) => f.endsWith('.yaml'))
        .map((f) => `${d.name}/${f}`),
    )
    .sort();
}

/** README.md's provenance table rows, by file. @param {string} readme */
function tableRows(readme) {
  /** @type {Map<string, string[]>} */
  const rows = new Map();
  for (const line of readme.split('\n')) {
    const cells = line.split('|').map((c) => c.trim().replace(/^`|`$/g, ''));
    // | file | repository | commit | source path | licence | kind (versions) |
    if (cells.length === 8 && /\.yaml$/.test(cells[1] ?? '')) rows.set(cells[1] ?? '', cells.slice(2, 7));
  }
  return rows;
}

/**
 * @param {{ dir?: string, upstream?: string, project?: string }} [options] `project` limits the
 *   check to one folder
 * @returns {{ problems: string[], checked: number, upstreamChecked: number }}
 */
export function check({ dir = here, upstream, project } = {}) {
  const problems = [];
  const lock = JSON.parse(readFileSync(join(dir, 'lock.json'), 'utf8')).files;
  const rows = tableRows(readFileSync(join(dir, 'README.md'), 'utf8'));
  const files = crdFiles(dir, project);
  let upstreamChecked = 0;
  for (const file of files) {
    const entry = lock[file];
    if (!entry) {
      problems.push(`${file}: not in lock.json (every copied CRD needs its provenance and sha256)`);
      continue;
    }
    const bytes = readFileSync(join(dir, file));
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    if (sha256 !== entry.sha256) problems.push(`${file}: sha256 ${sha256} is not the locked ${entry.sha256}`);
    let docs;
    try {
      docs = documents(bytes.toString('utf8'));
    } catch (error) {
      problems.push(`${file}: does not parse as YAML: ${error instanceof Error ? error.message : error}`);
      continue;
    }
    const crd = docs[0];
    if (docs.length !== 1 || /** @type {any} */ (crd)?.kind !== 'CustomResourceDefinition') {
      problems.push(
        `${file}: must hold exactly one CustomResourceDefinition, holds ${docs.length} document(s)`,
      );
      continue;
    }
    if (!isDeepStrictEqual(facts(crd), entry.crd)) {
      problems.push(
        `${file}: CRD is ${JSON.stringify(facts(crd))}, the lock says ${JSON.stringify(entry.crd)}`,
      );
    }
    const row = rows.get(file);
    const kindVersions = `${entry.crd.kind} (${entry.crd.versions.map((v) => v.name).join(', ')})`;
    const expected = [entry.repository, entry.commit, entry.path, entry.licence, kindVersions];
    if (!row) problems.push(`${file}: no row in README.md's table`);
    else if (!isDeepStrictEqual(row, expected)) {
      problems.push(`${file}: README.md says ${row.join(' | ')}, lock.json says ${expected.join(' | ')}`);
    }
    if (upstream) {
      const source = join(upstream, entry.repository, entry.path);
      if (!existsSync(source)) {
        problems.push(`${file}: upstream file ${source} not found`);
        continue;
      }
      const theirs = documents(readFileSync(source, 'utf8')).find(
        (d) =>
          /** @type {any} */ (d)?.kind === 'CustomResourceDefinition' &&
          /** @type {any} */ (d)?.metadata?.name === entry.crd.name,
      );
      upstreamChecked += 1;
      if (!theirs) problems.push(`${file}: ${source} has no CRD named ${entry.crd.name}`);
      else if (!isDeepStrictEqual(theirs, crd)) problems.push(`${file}: differs from ${source}`);
    }
  }
  const inScope = (/** @type {string} */ file) => project === undefined || file.startsWith(`${project}/`);
  for (const file of Object.keys(lock).filter(inScope)) {
    if (!files.includes(file)) problems.push(`${file}: in lock.json but the file is missing`);
  }
  for (const file of [...rows.keys()].filter(inScope)) {
    if (!files.includes(file)) problems.push(`${file}: in README.md's table but the file is missing`);
  }
  return { problems, checked: files.length, upstreamChecked };
}

/** Rewrites the sha256 and CRD facts of every lock entry from the files; provenance stays. */
function writeLock(dir = here) {
  const path = join(dir, 'lock.json');
  const lock = JSON.parse(readFileSync(path, 'utf8'));
  for (const file of crdFiles(dir)) {
    const bytes = readFileSync(join(dir, file));
    lock.files[file] ??= {};
    const entry = lock.files[file];
    entry.sha256 = createHash('sha256').update(bytes).digest('hex');
    entry.crd = facts(documents(bytes.toString('utf8'))[0]);
  }
  writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const usage = 'usage: check.mjs [--dir CRD_DIR] [--project NAME] [--upstream DIR | --write-lock]';
  /** @type {{ dir?: string, upstream?: string, project?: string }} */
  const options = {};
  let write = false;
  const args = process.argv.slice(2);
  while (args.length > 0) {
    const flag = args.shift();
    if (flag === '--write-lock') write = true;
    else if ((flag === '--upstream' || flag === '--dir' || flag === '--project') && args[0]) {
      options[flag.slice(2)] = args.shift();
    } else {
      console.error(usage);
      process.exit(2);
    }
  }
  if (write) {
    writeLock(options.dir);
    process.exit(0);
  }
  const { problems, checked, upstreamChecked } = check(options);
  for (const p of problems) console.log(p);
  console.log(
    `${checked} CRD files checked against lock.json and README.md` +
      (options.upstream ? `, ${upstreamChecked} against ${options.upstream}` : '') +
      `: ${problems.length} problem(s)`,
  );
  process.exit(problems.length === 0 ? 0 : 1);
}

import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The repository stands on its own: a clone with no sibling folders must run its tests, so no
// file may read or point at the platform folder the project was started beside. The patterns are
// assembled from pieces so this file does not match itself.
const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const SKIP = new Set(['node_modules', '.git', 'dist', '.state', '.vitest-report', 'coverage']);
const SIBLING = 'shared';
const PATTERNS = [
  new RegExp(`\\.\\./(\\.\\./)*${SIBLING}\\b`), // a relative path up into the sibling folder
  new RegExp(`/work/${SIBLING}\\b`),
  new RegExp(`COXSWAIN_${SIBLING.toUpperCase()}\\b`),
  new RegExp(`(^|[\\s\`'"(])${SIBLING}/(notes|platform|crds|api|DESIGN|STYLE)\\b`), // its notes, platform, crds, api folders
  new RegExp(`'\\.\\.',\\s*'${SIBLING}'`), // a path joined from '..' and the folder's name
];

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (SKIP.has(e.name)) return [];
    const path = join(dir, e.name);
    return e.isDirectory() ? files(path) : [path];
  });
}

describe('the repository is self-contained', () => {
  it('has no file that reads or names the sibling platform folder', () => {
    const hits: string[] = [];
    for (const path of files(repo)) {
      const text = readFileSync(path, 'utf8');
      text.split('\n').forEach((line, i) => {
        if (PATTERNS.some((p) => p.test(line))) hits.push(`${relative(repo, path)}:${i + 1}: ${line.trim()}`);
      });
    }
    expect(hits).toEqual([]);
  });

  it('finds such a reference when there is one (the patterns are live)', () => {
    const lines = [
      `const API_DIR = join(repo, '..', '${SIBLING}', 'api', 'rocketchat');`,
      `See \`../${SIBLING}/DESIGN.md\` for the design.`,
      ` * see ${SIBLING}/notes/chat-servers.md`,
      `SHARED_DIR=\${COXSWAIN_${SIBLING.toUpperCase()}:-$REPO_ROOT/../${SIBLING}}`,
    ];
    expect(lines.map((l) => PATTERNS.some((p) => p.test(l)))).toEqual([true, true, true, true]);
    expect(PATTERNS.some((p) => p.test('the shared secret, shared by every replica'))).toBe(false);
  });
});

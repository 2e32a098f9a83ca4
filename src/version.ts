/**
 * coxswain's version: the one in package.json, read at run time so the built `dist/` and the
 * image (which ships package.json beside it) cannot drift from what was released.
 */
import { readFileSync } from 'node:fs';

export function packageVersion(): string {
  // Run from source (src/version.ts) package.json is one level up; built (dist/src/version.js), two.
  for (const relative of ['../package.json', '../../package.json']) {
    try {
      const json: unknown = JSON.parse(readFileSync(new URL(relative, import.meta.url), 'utf8'));
      if (isPackage(json)) return json.version;
    } catch {
      // not here: try the next level up
    }
  }
  return 'unknown';
}

function isPackage(value: unknown): value is { name: 'coxswain'; version: string } {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return record.name === 'coxswain' && typeof record.version === 'string';
}

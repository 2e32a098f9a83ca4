/**
 * The Dockerfile, read as the image build would (no Docker engine here): what the build stage
 * copies is what `npm run build` compiles, .dockerignore lets exactly that through, and the run
 * stage keeps the promises the chart relies on (numeric non-root user, exec-form entrypoint, no
 * HEALTHCHECK, the Node major of package.json, OCI labels).
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const dockerfile = readFileSync(`${root}Dockerfile`, 'utf8');
const lines = dockerfile
  .replace(/\\\n\s*/g, ' ')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line !== '' && !line.startsWith('#'));
const stages = lines.reduce<string[][]>((acc, line) => {
  if (/^FROM\s/i.test(line)) acc.push([]);
  acc.at(-1)?.push(line);
  return acc;
}, []);
const [build, runStage] = stages as [string[], string[]];

describe('the Dockerfile', () => {
  it('has a build stage and a run stage from one pinned Node image of package.json’s major', () => {
    expect(stages).toHaveLength(2);
    expect(build[0]).toMatch(/^FROM \$\{NODE_IMAGE\} AS build$/);
    expect(runStage[0]).toMatch(/^FROM \$\{NODE_IMAGE\} AS run$/);
    const image = /^ARG NODE_IMAGE=(\S+)$/m.exec(dockerfile)?.[1];
    expect(image).toMatch(/^docker\.io\/library\/node:\d+\.\d+\.\d+-bookworm-slim$/);
    const major = /node:(\d+)\./.exec(image as string)?.[1];
    const engines = JSON.parse(readFileSync(`${root}package.json`, 'utf8')).engines.node as string;
    expect(engines).toBe(`>=${major}`);
  });

  it('copies into the build stage every folder `npm run build` compiles, and .dockerignore lets them in', () => {
    const tsconfig = JSON.parse(readFileSync(`${root}tsconfig.build.json`, 'utf8')) as { include: string[] };
    const copied = build.filter((l) => l.startsWith('COPY ')).flatMap((l) => l.split(/\s+/).slice(1, -1));
    const ignore = readFileSync(`${root}.dockerignore`, 'utf8').split('\n');
    for (const folder of [...tsconfig.include, 'bin']) {
      expect(copied).toContain(folder);
      expect(ignore).toContain(`!${folder}/`);
    }
    for (const file of ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json']) {
      expect(copied).toContain(file);
      expect(ignore).toContain(`!${file}`);
    }
    for (const path of copied)
      expect({ path, exists: existsSync(`${root}${path}`) }).toEqual({ path, exists: true });
    expect(ignore[ignore.findIndex((l) => !l.startsWith('#'))]).toBe('*');
  });

  it('installs with dev dependencies to build, then prunes to production ones', () => {
    const runs = build.filter((l) => l.startsWith('RUN ')).join('\n');
    expect(runs).toContain('npm ci');
    expect(runs).toContain('npm run build');
    expect(runs).toContain('npm prune --omit=dev');
    expect(runs.indexOf('npm run build')).toBeLessThan(runs.indexOf('npm prune --omit=dev'));
    // The run stage has no src/: data files the engines read go into dist/ next to their modules.
    expect(runs).toContain(
      "find src commands handlers adapters -name '*.yaml' -exec cp --parents {} dist/ \\;",
    );
  });

  it('runs as a numeric non-root user, exec form, without HEALTHCHECK, with what the run stage needs only', () => {
    expect(dockerfile).not.toMatch(/^HEALTHCHECK/m);
    const user = runStage.find((l) => l.startsWith('USER '));
    expect(user).toMatch(/^USER [1-9]\d*:[1-9]\d*$/);
    expect(runStage.at(-2)).toBe('ENTRYPOINT ["node", "/app/bin/coxswain.js"]');
    expect(runStage.at(-1)).toBe('CMD ["--config", "/etc/coxswain/coxswain.yaml"]');
    const fromBuild = runStage
      .filter((l) => l.startsWith('COPY --from=build'))
      .flatMap((l) =>
        l
          .split(/\s+/)
          .filter((t) => !t.startsWith('--'))
          .slice(1, -1)
          .map((t) => t.replace('/src/', '')),
      );
    expect(fromBuild.sort()).toEqual(
      ['bin', 'dist', 'node_modules', 'package-lock.json', 'package.json'].sort(),
    );
    // The run stage's only RUN makes the state directory at build time.
    expect(runStage.filter((l) => l.startsWith('RUN '))).toEqual([
      'RUN mkdir -p /data && chown 10001:10001 /data && chmod 0750 /data',
    ]);
  });

  it('uses the chart’s UID and carries the OCI labels', () => {
    const values = readFileSync(`${root}charts/coxswain/values.yaml`, 'utf8');
    expect(values).toContain('runAsUser: 10001');
    expect(runStage).toContain('USER 10001:10001');
    for (const label of ['title', 'description', 'version', 'revision', 'licenses', 'source'])
      expect(dockerfile).toContain(`org.opencontainers.image.${label}=`);
  });
});

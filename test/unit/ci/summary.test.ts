import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// .ci/summary.mjs is run as CI runs it (a child node process), on JSON reports that vitest itself
// wrote for small throwaway test files: one that imports a missing module, one whose beforeAll
// throws, one with a failing test, one that passes (file paths rewritten to test/fixture/...).
const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const fixtures = join('test', 'unit', 'ci', 'fixtures');

function summary(...reports: string[]): { code: number | null; lines: string[] } {
  const run = spawnSync(process.execPath, ['.ci/summary.mjs', ...reports], { cwd: repo, encoding: 'utf8' });
  return { code: run.status, lines: run.stdout.trim().split('\n') };
}

describe('.ci/run summary', () => {
  it('counts a test file that failed to load as a failure and exits non-zero, though no test failed', () => {
    // vitest's own counts for this report: numPassedTests 2, numFailedTests 0.
    const { code, lines } = summary(join(fixtures, 'load-failure-only.json'));
    expect(lines).toContain(
      "FAILED FILE test/fixture/load-error.test.ts: Cannot find module './no-such-module.js' imported from test/fixture/load-error.test.ts",
    );
    expect(lines.at(-1)).toBe(
      '2 passed, 1 failed, 1 of them file(s) that failed to load or whose hooks failed',
    );
    expect(code).toBe(1);
  });

  it('counts a suite whose hook failed, a failed test and a missing report, each once', () => {
    const { code, lines } = summary(join(fixtures, 'load-and-hook-failures.json'), 'no/such/slow.json');
    expect(lines).toEqual([
      'FAILED FILE test/fixture/hook-error.test.ts: a hook or suite failed (its error is in the log above); 1 test(s) in it did not run',
      "FAILED FILE test/fixture/load-error.test.ts: Cannot find module './no-such-module.js' imported from test/fixture/load-error.test.ts",
      'no/such/slow.json: not written (an earlier step failed, so these tests did not run)',
      '6 failed suite(s) (files and describe blocks, including those failed by a failed test in them)',
      // 1 failed test + 2 failed files + 1 missing report; the test the failed hook kept from running is skipped.
      '3 passed, 4 failed, 2 of them file(s) that failed to load or whose hooks failed, 1 skipped',
    ]);
    expect(code).toBe(1);
  });

  it('passes a run where everything passed', () => {
    expect(summary(join(fixtures, 'all-passed.json'))).toEqual({ code: 0, lines: ['2 passed, 0 failed'] });
  });

  it('refuses to run without a report', () => {
    expect(summary().code).toBe(2);
  });
});

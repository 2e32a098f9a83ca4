// The closing summary of a CI run, from vitest's JSON reports.
// Usage: node .ci/summary.mjs REPORT.json...   (exit 1 when anything failed or a report is missing)
//
// Failed tests are not the only failures: a test file that fails to load (a missing import, a
// syntax error) or a suite whose hook throws has no failed test in it, only a failed file, so a
// summary that added up numFailedTests alone printed "426 passed, 0 failed" for a run whose three
// files never loaded. Here a file that failed with no failed test of its own counts as one failure
// and is named with vitest's message; a report that was never written (an earlier step stopped the
// run) counts as one too.
import { existsSync, readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * @typedef {{ status: string, message?: string, name: string,
 *   assertionResults: { status: string }[] }} FileResult
 * @typedef {{ numPassedTests: number, numFailedTests: number, numPendingTests: number,
 *   numTodoTests: number, numTotalTests: number, numFailedTestSuites: number,
 *   success: boolean, testResults: FileResult[] }} Report
 * @typedef {{ passed: number, failed: number, skipped: number, failedFiles: number,
 *   failedSuites: number, lines: string[], ok: boolean }} Summary
 */

/**
 * Sums the reports. `reports` maps each report's name to its parsed JSON, or to null when it was
 * not written.
 * @param {[string, Report | null][]} reports
 * @param {string} [root] file names are shown relative to this directory
 * @returns {Summary}
 */
export function summarize(reports, root = process.cwd()) {
  let passed = 0;
  let failedTests = 0;
  let skipped = 0;
  let failedFiles = 0;
  let failedSuites = 0;
  let missing = 0;
  const lines = [];
  for (const [name, report] of reports) {
    if (report === null) {
      missing += 1;
      lines.push(`${name}: not written (an earlier step failed, so these tests did not run)`);
      continue;
    }
    passed += report.numPassedTests;
    failedTests += report.numFailedTests;
    skipped += report.numPendingTests + report.numTodoTests;
    failedSuites += report.numFailedTestSuites;
    for (const file of report.testResults) {
      if (file.status !== 'failed') continue;
      // A failed test already counts; a failed file without one failed on its own.
      if (file.assertionResults.some((t) => t.status === 'failed')) continue;
      failedFiles += 1;
      const notRun = file.assertionResults.filter((t) => t.status !== 'passed').length;
      const why =
        file.message?.split('\n')[0] ||
        `a hook or suite failed (its error is in the log above)${notRun ? `; ${notRun} test(s) in it did not run` : ''}`;
      lines.push(`FAILED FILE ${relative(root, file.name) || file.name}: ${why}`);
    }
    if (report.numTotalTests === 0 && report.testResults.length === 0) {
      missing += 1;
      lines.push(`${name}: no test files ran`);
    }
  }
  if (failedSuites > 0) {
    lines.push(
      `${failedSuites} failed suite(s) (files and describe blocks, including those failed by a failed test in them)`,
    );
  }
  // Every failed suite holds a failed test or is a failed file; should vitest ever report failed
  // suites with neither, they still count rather than let the run pass.
  const unexplained = failedTests + failedFiles === 0 ? failedSuites : 0;
  const failed = failedTests + failedFiles + missing + unexplained;
  const tail = [
    failedFiles ? `${failedFiles} of them file(s) that failed to load or whose hooks failed` : '',
    skipped ? `${skipped} skipped` : '',
  ].filter(Boolean);
  lines.push(`${passed} passed, ${failed} failed${tail.length ? `, ${tail.join(', ')}` : ''}`);
  return { passed, failed, skipped, failedFiles, failedSuites, lines, ok: failed === 0 };
}

/** @param {string} path @returns {Report | null} */
function readReport(path) {
  return existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : null;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const paths = process.argv.slice(2);
  if (paths.length === 0) {
    console.error('usage: node .ci/summary.mjs REPORT.json...');
    process.exit(2);
  }
  const summary = summarize(paths.map((p) => [p, readReport(p)]));
  for (const line of summary.lines) console.log(line);
  process.exit(summary.ok ? 0 : 1);
}

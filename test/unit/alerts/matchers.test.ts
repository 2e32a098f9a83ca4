import { describe, expect, it } from 'vitest';
import {
  formatMatchers,
  matchesAll,
  matchesEverything,
  parseMatchers,
} from '../../../src/alerts/matchers.js';

function ok(text: string) {
  const parsed = parseMatchers(text);
  if ('error' in parsed) throw new Error(parsed.error);
  return parsed.matchers;
}

describe('Alertmanager matcher syntax', () => {
  it('reads quoted matchers with every operator', () => {
    expect(ok('alertname="X", severity=~"warn.*", cluster!="apps", pod!~"test-.*"')).toEqual([
      { name: 'alertname', type: '=', value: 'X' },
      { name: 'severity', type: '=~', value: 'warn.*' },
      { name: 'cluster', type: '!=', value: 'apps' },
      { name: 'pod', type: '!~', value: 'test-.*' },
    ]);
  });

  it('reads braces, escapes and commas inside quotes', () => {
    expect(ok('{summary="a, \\"b\\"", x=y}')).toEqual([
      { name: 'summary', type: '=', value: 'a, "b"' },
      { name: 'x', type: '=', value: 'y' },
    ]);
  });

  it('reads what is left after chat tokenizing took the quotes off', () => {
    expect(ok('alertname=X, severity=~warn.* namespace=databases')).toEqual([
      { name: 'alertname', type: '=', value: 'X' },
      { name: 'severity', type: '=~', value: 'warn.*' },
      { name: 'namespace', type: '=', value: 'databases' },
    ]);
    // A value with spaces survives as one value when no operator follows.
    expect(ok('summary=disk almost full')).toEqual([
      { name: 'summary', type: '=', value: 'disk almost full' },
    ]);
  });

  it('explains what is wrong', () => {
    const error = (text: string) => {
      const parsed = parseMatchers(text);
      return 'error' in parsed ? parsed.error : 'parsed';
    };
    expect(error('alertname')).toMatch(/alertname needs an operator/);
    expect(error('severity=~"(warn"')).toMatch(
      /not a valid regular expression \(RE2, .*missing closing \): `\(warn`/,
    );
    expect(error('x="open')).toMatch(/never closes/);
    expect(error('{x="y"')).toMatch(/never closes/);
    expect(error('9x="y"')).toMatch(/expected a label name/);
  });

  it('anchors regexes and treats a missing label as empty, like Alertmanager', () => {
    const [m] = ok('severity=~"warn"');
    expect(matchesAll([m!], { severity: 'warning' })).toBe(false);
    expect(matchesAll(ok('severity=~"warn.*"'), { severity: 'warning' })).toBe(true);
    expect(matchesAll(ok('team=""'), { severity: 'warning' })).toBe(true);
    expect(matchesAll(ok('team!=""'), { severity: 'warning' })).toBe(false);
    expect(
      matchesAll(ok('severity=~"critical|warning", cluster="infra"'), {
        severity: 'critical',
        cluster: 'infra',
      }),
    ).toBe(true);
  });

  // Each of these differs between JavaScript's RegExp and RE2 (Go's regexp, which Alertmanager
  // uses); the real Alertmanager gives the same answers in test/integration/alerts/matchers-re2.test.ts.
  it('reads regexes as RE2 does, not as JavaScript does', () => {
    // (?i) is a syntax error in a JavaScript RegExp; RE2 reads it as case-insensitive.
    expect(matchesAll(ok('severity=~"(?i)critical"'), { severity: 'CRITICAL' })).toBe(true);
    // POSIX classes: JavaScript reads [[:alpha:]]+ as the class [[:alph] then `]+`.
    expect(matchesAll(ok('pod=~"[[:alpha:]]+"'), { pod: 'web' })).toBe(true);
    expect(matchesAll(ok('pod=~"[[:alpha:]]+"'), { pod: 'web1' })).toBe(false);
    // Python/Go named groups and \Q…\E quoting are RE2.
    expect(matchesAll(ok('job=~"(?P<j>node)-\\\\Qa.b\\\\E"'), { job: 'node-a.b' })).toBe(true);
    expect(matchesAll(ok('job=~"\\\\Qa.b\\\\E"'), { job: 'axb' })).toBe(false);
    // `.` is one code point, not one UTF-16 unit.
    expect(matchesAll(ok('icon=~"."'), { icon: '😀' })).toBe(true);
  });

  it('refuses what RE2 refuses, with the reason', () => {
    const error = (text: string) => {
      const parsed = parseMatchers(text);
      return 'error' in parsed ? parsed.error : 'parsed';
    };
    expect(error('severity=~"(?=crit)critical"')).toMatch(
      /not a valid regular expression \(RE2, .*: "\(\?=crit\)critical": invalid or unsupported Perl syntax: `\(\?=`/,
    );
    expect(error('x=~"(a)\\\\1"')).toMatch(/invalid escape sequence/);
    expect(error('x=~"a{1001}"')).toMatch(/invalid repeat count/);
  });

  it('knows a matcher list that would silence everything', () => {
    expect(matchesEverything([])).toBe(true);
    expect(matchesEverything(ok('alertname=~".*"'))).toBe(true);
    expect(matchesEverything(ok('alertname=~".*", severity=~".*"'))).toBe(true);
    expect(matchesEverything(ok('alertname=~".+"'))).toBe(false);
    expect(matchesEverything(ok('alertname=~".*", cluster="infra"'))).toBe(false);
    expect(matchesEverything(ok('severity=~"(?i)critical"'))).toBe(false);
    expect(matchesEverything(ok('severity=~"[[:alpha:]]*"'))).toBe(false);
    expect(matchesEverything(ok('severity=~"(?s).*"'))).toBe(true);
    expect(matchesEverything(ok('severity=~"|.+"'))).toBe(true);
  });

  it('formats back to the syntax it reads', () => {
    const matchers = ok('a="x\\"y", b=~"c|d"');
    expect(ok(formatMatchers(matchers))).toEqual(matchers);
  });
});

import { describe, expect, it } from 'vitest';
import { parseKindName } from '../../../src/workloads/kinds.js';
import { redactSecrets } from '../../../src/workloads/redact.js';
import { parseSelector } from '../../../src/workloads/selector.js';
import { age, plainTable } from '../../../src/workloads/tables.js';

describe('label selectors, as kubectl -l takes them', () => {
  const labels = { app: 'grafana', tier: 'web', 'app.kubernetes.io/name': 'grafana' };
  it.each([
    ['app=grafana', true],
    ['app==grafana', true],
    ['app!=grafana', false],
    ['app=grafana,tier=db', false],
    ['tier in (web, db)', true],
    ['tier notin (web)', false],
    ['app.kubernetes.io/name', true],
    ['!tier', false],
    ['!missing', true],
    ['missing notin (x)', true],
    ['app in (prometheus),tier=web', false],
  ])('%s → %s', (text, expected) => {
    const parsed = parseSelector(text);
    if ('error' in parsed) throw new Error(parsed.error);
    expect(parsed.select(labels)).toBe(expected);
  });
  it.each(['a=b,', 'a in (b', 'bad key!=x', 'a=b c'])('refuses %s', (text) => {
    expect('error' in parseSelector(text)).toBe(true);
  });
});

describe('KIND/NAME', () => {
  it('accepts kubectl short and long names', () => {
    for (const text of ['deploy/x', 'deployment/x', 'po/x', 'pod/x', 'no/apps-01', 'pvc/data', 'sts/pg-0'])
      expect('kind' in parseKindName(text)).toBe(true);
  });
  it('refuses Secrets, ConfigMaps, unknown kinds and bad names in a sentence', () => {
    expect(parseKindName('secret/x')).toEqual({
      error: 'coxswain never reads or shows Secrets or ConfigMaps',
    });
    expect(parseKindName('cm/x')).toEqual({ error: 'coxswain never reads or shows Secrets or ConfigMaps' });
    expect(parseKindName('frob/x')).toMatchObject({
      error: expect.stringContaining("I don't know the kind"),
    });
    expect(parseKindName('deploy/X_y')).toMatchObject({
      error: expect.stringContaining('not a Kubernetes name'),
    });
    expect(parseKindName('grafana')).toMatchObject({ error: expect.stringContaining('KIND/NAME') });
  });
});

describe('secrets in logs are masked', () => {
  it.each([
    ['Authorization: Bearer abc.def.ghi', 'Authorization: Bearer [redacted]'],
    ['connecting with password=hunter2 to db', 'connecting with password=[redacted] to db'],
    ['{"token": "s3cr3t", "user": "bob"}', '{"token": "[redacted]", "user": "bob"}'],
    ['url postgres://app:pa55@db:5432/x', 'url postgres://app:[redacted]@db:5432/x'],
    [
      'jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U',
      'jwt [redacted token]',
    ],
    ['-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----', '[redacted private key]'],
  ])('%s', (line, masked) => {
    expect(redactSecrets(line)).toBe(masked);
  });
  it('leaves ordinary lines alone', () => {
    const line = 'level=info msg="reconciled" duration=12ms tokens_used=3';
    expect(redactSecrets(line)).toBe(line);
  });
});

describe('tables', () => {
  const now = Date.parse('2026-12-04T15:00:00Z');
  it('ages as kubectl prints them', () => {
    expect(age('2026-12-04T14:59:15Z', now)).toBe('45s');
    expect(age('2026-12-04T14:00:00Z', now)).toBe('60m');
    expect(age('2026-12-03T15:00:00Z', now)).toBe('24h');
    expect(age('2026-11-01T15:00:00Z', now)).toBe('33d');
  });
  it('pads columns, the last one unpadded', () => {
    expect(plainTable({ headers: ['NAME', 'READY'], rows: [['a-long-name', '1/1']] })).toBe(
      'NAME          READY\na-long-name   1/1',
    );
  });
});

import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { linkerdCheck } from '../../../src/health/checks/linkerd.js';
import { KINDS } from '../../../src/health/kinds.js';
import type { KubeObject } from '../../../src/health/types.js';
import { selfSignedPem } from '../../support/self-signed.js';
import { DAY, deployment, input, iso } from './fixtures.js';

const PEM = selfSignedPem('root.linkerd.cluster.local', 365);
const NOT_AFTER = new X509Certificate(PEM).validToDate.getTime();

const controlPlane = ['linkerd-destination', 'linkerd-identity', 'linkerd-proxy-injector'].map((n) =>
  deployment('linkerd', n, 1, 1),
);
const trustRoots = (pem: string) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'linkerd-identity-trust-roots', namespace: 'linkerd' },
  data: { 'ca-bundle.crt': pem },
});
const issuer = (notAfter: number, renewalTime: number) => ({
  apiVersion: 'cert-manager.io/v1',
  kind: 'Certificate',
  metadata: { name: 'linkerd-identity-issuer', namespace: 'linkerd' },
  spec: { secretName: 'linkerd-identity-issuer', isCA: true },
  status: { notAfter: iso(notAfter), renewalTime: iso(renewalTime), conditions: [] },
});

/** The check at `daysLeft` before the trust anchor's notAfter, with the issuer relative to it too. */
function at(daysLeft: number, issuerDaysLeft = 200, issuerRenewalDaysAgo?: number) {
  const now = NOT_AFTER - daysLeft * DAY;
  const renewal = issuerRenewalDaysAgo === undefined ? now + 100 * DAY : now - issuerRenewalDaysAgo * DAY;
  const i = input(
    {
      deployments: controlPlane,
      linkerdtrustroots: [trustRoots(PEM)],
      certificates: [issuer(now + issuerDaysLeft * DAY, renewal)],
    },
    { wide: true },
  );
  return linkerdCheck.run({ ...i, now });
}
const line = (r: ReturnType<typeof at>, prefix: string) =>
  r.findings.find((f) => f.subject.startsWith(prefix));

describe('Linkerd identity certificates', () => {
  it('keeps only subject and notAfter of the trust roots in the cache, never the PEM', () => {
    const trimmed = KINDS.linkerdtrustroots.trim(trustRoots(`${PEM}${PEM}`) as unknown as KubeObject);
    expect(JSON.stringify(trimmed)).not.toContain('BEGIN CERTIFICATE');
    expect(trimmed.status?.roots).toEqual([
      { subject: 'CN=root.linkerd.cluster.local', notAfter: new Date(NOT_AFTER).toISOString() },
      { subject: 'CN=root.linkerd.cluster.local', notAfter: new Date(NOT_AFTER).toISOString() },
    ]);
  });

  it('is ok with both far from expiry', () => {
    const r = at(200);
    expect(r.status).toBe('ok');
    expect(line(r, 'trust anchor')).toMatchObject({
      status: 'ok',
      subject: 'trust anchor CN=root.linkerd.cluster.local',
    });
    expect(line(r, 'issuer')).toMatchObject({
      status: 'ok',
      reason: expect.stringMatching(/^expires in 200d/),
    });
  });

  it('warns inside the warning window and fails inside the critical one or past expiry', () => {
    expect(line(at(20), 'trust anchor')?.status).toBe('warn');
    expect(line(at(3), 'trust anchor')?.status).toBe('fail');
    expect(line(at(-1), 'trust anchor')).toMatchObject({ status: 'fail', reason: 'expired 1d ago' });
    expect(line(at(200, 20), 'issuer')?.status).toBe('warn');
    expect(line(at(200, 2), 'issuer')?.status).toBe('fail');
    expect(at(200, 2).status).toBe('fail');
  });

  it('warns when cert-manager has not renewed the issuer after its renewalTime', () => {
    expect(line(at(200, 60, 2), 'issuer')).toMatchObject({
      status: 'warn',
      reason: expect.stringMatching(/^renewal overdue by 2d; expires in 60d/),
    });
  });

  it('uses the configured thresholds', () => {
    const now = NOT_AFTER - 20 * DAY;
    const i = input({ deployments: controlPlane, linkerdtrustroots: [trustRoots(PEM)] }, { wide: true });
    const r = linkerdCheck.run({ ...i, now, identityExpiry: { warnMs: 10 * DAY, failMs: 5 * DAY } });
    expect(line(r, 'trust anchor')?.status).toBe('ok');
  });

  it('fails a missing or unreadable trust roots ConfigMap, and says when the issuer cannot be seen', () => {
    const missing = linkerdCheck.run(input({ deployments: controlPlane }, { served: ['linkerdtrustroots'] }));
    expect(missing.findings).toContainEqual({
      status: 'fail',
      subject: 'trust anchor',
      reason: 'ConfigMap linkerd/linkerd-identity-trust-roots not found',
    });
    expect(missing.summary).toContain(
      'issuer expiry unknown (no Certificate linkerd/linkerd-identity-issuer)',
    );
    const garbage = linkerdCheck.run(
      input({
        deployments: controlPlane,
        linkerdtrustroots: [trustRoots('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----')],
      }),
    );
    expect(garbage.findings[0]).toMatchObject({
      status: 'fail',
      reason: expect.stringMatching(/^unreadable certificate/),
    });
  });
});

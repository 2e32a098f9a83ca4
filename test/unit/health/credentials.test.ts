import { X509Certificate } from 'node:crypto';
import { KubeConfig } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { credentialExpiry, jwtExpiry } from '../../../adapters/kube/credential-expiry.js';
import { credentialsCheck } from '../../../src/health/checks/credentials.js';
import { selfSignedPem } from '../../support/self-signed.js';
import { DAY, HOUR, input, NOW } from './fixtures.js';

const b64url = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
const jwt = (claims: object) => `${b64url({ alg: 'RS256', kid: 'k' })}.${b64url(claims)}.c2lnbmF0dXJl`;

function kubeConfig(user: Record<string, string>): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'infra', server: 'https://127.0.0.1:6443', skipTLSVerify: false }],
    users: [{ name: 'bot', ...user }],
    contexts: [{ name: 'infra', cluster: 'infra', user: 'bot' }],
    currentContext: 'infra',
  });
  return kc;
}

describe('the bot credential expiry', () => {
  it("reads a JWT token's exp and nothing from an opaque token", () => {
    expect(jwtExpiry(jwt({ exp: 1_800_000_000, sub: 'system:serviceaccount:coxswain:coxswain' }))).toBe(
      1_800_000_000_000,
    );
    expect(jwtExpiry(jwt({ sub: 'x' }))).toBeUndefined();
    expect(jwtExpiry('0123456789abcdef')).toBeUndefined();
    expect(jwtExpiry('a.!!!.c')).toBeUndefined();
    expect(credentialExpiry(kubeConfig({ token: jwt({ exp: 1_800_000_000 }) }), false)).toEqual({
      kind: 'token',
      expiresAt: 1_800_000_000_000,
    });
    expect(credentialExpiry(kubeConfig({ token: 'opaque' }), false)).toBeUndefined();
  });

  it("reads a client certificate's notAfter; in-cluster tokens are not reported (the kubelet renews them)", () => {
    const pem = selfSignedPem('coxswain', 30);
    const kc = kubeConfig({ certData: Buffer.from(pem).toString('base64'), keyData: 'a2V5' });
    expect(credentialExpiry(kc, false)).toEqual({
      kind: 'client certificate',
      expiresAt: new X509Certificate(pem).validToDate.getTime(),
    });
    expect(credentialExpiry(kubeConfig({ token: jwt({ exp: 1 }) }), true)).toBeUndefined();
  });

  it('is ok outside the warning, warns inside it, fails once expired, absent when unknown', () => {
    const check = (expiresInMs: number, warningMs = 7 * DAY) =>
      credentialsCheck.run(
        input(
          {},
          { credential: { kind: 'token', expiresAt: NOW + expiresInMs }, credentialWarningMs: warningMs },
        ),
      );
    expect(check(30 * DAY).status).toBe('ok');
    expect(check(30 * DAY, 60 * DAY).status).toBe('warn');
    expect(check(2 * DAY).findings).toEqual([
      {
        status: 'warn',
        subject: "the bot's token",
        reason: 'expires in 2d (2026-11-25T12:00:00.000Z): renew it and restart the bot',
      },
    ]);
    expect(check(-HOUR).findings[0]).toMatchObject({
      status: 'fail',
      reason: 'expired 1h ago (2026-11-23T11:00:00.000Z)',
    });
    expect(credentialsCheck.run(input({}))).toMatchObject({
      status: 'absent',
      summary: 'no expiry to read (in-cluster token, exec plugin or opaque token)',
    });
  });
});

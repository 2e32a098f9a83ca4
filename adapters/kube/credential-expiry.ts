/**
 * When the credential a kubeconfig gives the bot stops working: a bearer token that is a JWT (a
 * TokenRequest token, as deploy/infra/mint-kubeconfig.sh writes) by its `exp`, a client
 * certificate by its notAfter. Nothing else is told: an opaque token, an exec plugin, or the
 * in-cluster service account token, which the kubelet renews by itself. The token is decoded only
 * here and never logged or returned.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { KubeConfig } from '@kubernetes/client-node';
import type { CredentialExpiry } from '../../src/health/types.js';

/** The `exp` of a JWT in epoch milliseconds, or undefined when the token is not a JWT with one. */
export function jwtExpiry(token: string): number | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts[1]) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as { exp?: unknown };
    return typeof claims.exp === 'number' && Number.isFinite(claims.exp) ? claims.exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

/** The notAfter of the first certificate in a PEM, or undefined when it is not one. */
export function certificateExpiry(pem: string | Buffer): number | undefined {
  try {
    return new X509Certificate(pem).validToDate.getTime();
  } catch {
    return undefined;
  }
}

export function credentialExpiry(kubeConfig: KubeConfig, inCluster: boolean): CredentialExpiry | undefined {
  if (inCluster) return undefined;
  const user = kubeConfig.getCurrentUser();
  if (!user) return undefined;
  if (user.token) {
    const at = jwtExpiry(user.token);
    return at === undefined ? undefined : { kind: 'token', expiresAt: at };
  }
  const pem = user.certData
    ? Buffer.from(user.certData, 'base64')
    : user.certFile
      ? readFileSync(user.certFile)
      : undefined;
  const at = pem ? certificateExpiry(pem) : undefined;
  return at === undefined ? undefined : { kind: 'client certificate', expiresAt: at };
}

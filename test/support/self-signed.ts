/**
 * Throwaway self-signed certificates made by the real openssl CLI, for the checks that read a
 * certificate's notAfter (Linkerd's trust anchor, the bot's client certificate) and for loopback
 * TLS servers. The files go to a temporary directory that is removed at once.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A PEM certificate for `cn` valid from now for `days` days (openssl rounds to the second). */
export function selfSignedPem(cn: string, days: number): string {
  return selfSignedPair(cn, days).cert;
}

/** A PEM certificate and its key, for `cn` and the subject alternative names `san` (`IP:127.0.0.1`). */
export function selfSignedPair(cn: string, days: number, san?: string): { cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'coxswain-cert-'));
  try {
    const out = join(dir, 'cert.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-days',
        String(days),
        '-subj',
        `/CN=${cn}`,
        ...(san ? ['-addext', `subjectAltName=${san}`] : []),
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        out,
      ],
      { stdio: 'pipe' },
    );
    return { cert: readFileSync(out, 'utf8'), key: readFileSync(join(dir, 'key.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

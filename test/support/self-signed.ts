/**
 * Throwaway self-signed certificates made by the real openssl CLI, for the checks that read a
 * certificate's notAfter (Linkerd's trust anchor, the bot's client certificate). Only the
 * certificate is kept; the key goes to a temporary directory that is removed at once.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A PEM certificate for `cn` valid from now for `days` days (openssl rounds to the second). */
export function selfSignedPem(cn: string, days: number): string {
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
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        out,
      ],
      { stdio: 'pipe' },
    );
    return readFileSync(out, 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

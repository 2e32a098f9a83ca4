/**
 * The bot's own credential for the cluster (issue 21): a kubeconfig token minted with a
 * `--duration` (README, "Install on the platform", step 3) or a client certificate runs out, and
 * then every check of this cluster fails at once. Warn ahead of it by `health.credentialWarning`.
 */
import { formatDuration } from '../../duration.js';
import { result } from '../objects.js';
import type { Check, Finding } from '../types.js';

export const credentialsCheck: Check = {
  component: 'credentials',
  kinds: [],
  run({ credential, now, credentialWarningMs, wide }) {
    // Not "not installed": there is a credential, only none whose end the bot can read.
    if (!credential)
      return {
        component: 'credentials',
        status: 'absent',
        summary: 'no expiry to read (in-cluster token, exec plugin or opaque token)',
        findings: [],
      };
    const left = credential.expiresAt - now;
    const subject = `the bot's ${credential.kind}`;
    const when = new Date(credential.expiresAt).toISOString();
    const finding: Finding =
      left <= 0
        ? { status: 'fail', subject, reason: `expired ${formatDuration(-left)} ago (${when})` }
        : {
            status: left < credentialWarningMs ? 'warn' : 'ok',
            subject,
            reason: `expires in ${formatDuration(left)} (${when})${left < credentialWarningMs ? ': renew it and restart the bot' : ''}`,
          };
    return result('credentials', [finding], `${credential.kind} ${finding.reason}`, wide);
  },
};

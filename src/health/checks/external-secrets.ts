/** external-secrets: ExternalSecrets not synced, ClusterSecretStores not Ready. */
import { KINDS } from '../kinds.js';
import { absent, condition, describe, objectsOf, ref, result, served } from '../objects.js';
import type { Check, Finding } from '../types.js';

export const externalSecretsCheck: Check = {
  component: 'external-secrets',
  kinds: [KINDS.externalsecrets, KINDS.clustersecretstores],
  run({ kinds, wide }) {
    if (!served(kinds, 'externalsecrets')) return absent('external-secrets', 'no external-secrets.io API');
    const findings: Finding[] = [];
    for (const store of objectsOf(kinds, 'clustersecretstores')) {
      const ready = condition(store, 'Ready');
      findings.push({
        status: ready?.status === 'True' ? 'ok' : 'fail',
        subject: `ClusterSecretStore ${ref(store)}`,
        reason: describe(ready),
      });
    }
    const secrets = objectsOf(kinds, 'externalsecrets');
    for (const secret of secrets) {
      const ready = condition(secret, 'Ready');
      findings.push({
        status: ready?.status === 'True' ? 'ok' : 'fail',
        subject: `ExternalSecret ${ref(secret)}`,
        reason: describe(ready),
      });
    }
    const synced = secrets.filter((s) => condition(s, 'Ready')?.status === 'True').length;
    return result('external-secrets', findings, `${synced}/${secrets.length} ExternalSecrets synced`, wide);
  },
};

/** Options several command groups share, defined once so their help reads the same. */
import { DNS1123_LABEL } from '../src/kube/names.js';
import type { OptionSpec } from '../src/router/spec.js';

export const clusterOption: OptionSpec = {
  type: 'string',
  description: 'the cluster, as named in the config (infra, apps)',
  placeholder: 'C',
  pattern: DNS1123_LABEL,
};

export const dryRunOption: OptionSpec = {
  type: 'boolean',
  description: 'show what would be done, change nothing',
};

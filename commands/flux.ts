import { FLUX_GET_KINDS, FLUX_WRITABLE } from '../src/flux/objects.js';
import { DNS1123_LABEL, DNS1123_SUBDOMAIN } from '../src/kube/names.js';
import type { CommandGroup, CommandSpec, OptionSpec, PositionalSpec } from '../src/router/spec.js';
import { fluxAct, fluxGet } from './flux-run.js';
import { clusterOption, outputOption } from './options.js';

export const namespaceOption: OptionSpec = {
  type: 'string',
  alias: 'n',
  description: 'the namespace',
  placeholder: 'NS',
  pattern: DNS1123_LABEL,
};

const writable: PositionalSpec = {
  name: 'kind',
  description: 'ks (Kustomization) or hr (HelmRelease)',
  required: true,
  choices: Object.keys(FLUX_WRITABLE),
};
const objectName: PositionalSpec = {
  name: 'name',
  description: 'the object name',
  required: true,
  pattern: DNS1123_SUBDOMAIN,
};

function action(name: 'reconcile' | 'suspend' | 'resume', summary: string): CommandSpec {
  return {
    group: 'flux',
    name,
    summary,
    positionals: [writable, objectName],
    options: {
      namespace: { ...namespaceOption, description: 'the namespace (default flux-system)' },
      cluster: clusterOption,
    },
    permission: 'flux:write',
    dangerous: true,
    visibility: 'in_channel',
    examples: [`flux ${name} ks apps --cluster apps`],
    run: (ctx) => fluxAct(ctx, name),
  };
}

export const flux: CommandGroup = {
  name: 'flux',
  summary: 'Flux Kustomizations, HelmReleases and sources: state, reconcile, suspend, resume',
  commands: [
    {
      group: 'flux',
      name: 'get',
      summary: 'ready, suspended, revision and last message, from the watch caches',
      positionals: [
        {
          name: 'kind',
          description: 'ks, hr or sources (default: ks and hr)',
          choices: Object.keys(FLUX_GET_KINDS),
        },
      ],
      options: {
        namespace: namespaceOption,
        cluster: clusterOption,
        output: outputOption({ wide: 'shows the whole message' }),
      },
      permission: 'flux:read',
      examples: ['flux get ks --cluster apps', 'flux get hr -n monitoring -o yaml'],
      run: fluxGet,
    },
    action('reconcile', 'ask Flux to reconcile a Kustomization or HelmRelease now (as `flux reconcile`)'),
    action('suspend', 'suspend a Kustomization or HelmRelease (Flux stops applying it)'),
    action('resume', 'resume a suspended Kustomization or HelmRelease and reconcile it'),
  ],
};

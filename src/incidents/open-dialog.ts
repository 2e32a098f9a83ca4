/**
 * The incident form: `incident open` with no title, where the chat can show forms (Mattermost),
 * asks for title, severity and cluster in a dialog instead of refusing. Built and read back here;
 * the submission is answered in actions.ts, where the room opens exactly as
 * `incident open <title>` opens it, with the notice in the channel.
 */
import { DNS1123_LABEL } from '../kube/names.js';
import type { Dialog, DialogElement } from '../ports.js';

export const INCIDENT_DIALOG_ACTION = 'incident.open.dialog';
const TITLE_MAX = 150;

export interface IncidentFormInput {
  title?: string;
  severity?: number;
  cluster?: string;
  /** The configured cluster names: a choice when there are any, free text otherwise. */
  clusters: string[];
  defaultSeverity: number;
  expiresAt: number;
}

export function incidentDialog(input: IncidentFormInput): Dialog {
  const cluster: DialogElement =
    input.clusters.length > 0
      ? {
          name: 'cluster',
          label: 'Cluster',
          type: 'select',
          optional: true,
          help: 'The cluster it is about, if one; its health is pinned in the room.',
          options: input.clusters.map((name) => ({ label: name, value: name })),
        }
      : {
          name: 'cluster',
          label: 'Cluster',
          type: 'text',
          optional: true,
          help: 'The cluster it is about, if one (infra, apps).',
          maxLength: 63,
        };
  if (input.cluster) cluster.default = input.cluster;
  const title: DialogElement = {
    name: 'title',
    label: 'Title',
    type: 'text',
    placeholder: 'what is wrong, in a few words',
    help: 'Names the room, e.g. "postgres failover loop".',
    maxLength: TITLE_MAX,
  };
  if (input.title) title.default = input.title.slice(0, TITLE_MAX);
  return {
    title: 'Open incident',
    introduction: 'Opens an incident room, invites the on-call people and makes you its commander.',
    submitLabel: 'Open',
    action: INCIDENT_DIALOG_ACTION,
    payload: {},
    expiresAt: input.expiresAt,
    elements: [
      title,
      {
        name: 'sev',
        label: 'Severity',
        type: 'select',
        default: String(input.severity ?? input.defaultSeverity),
        help: 'SEV1 is the worst; it decides who else is invited.',
        options: [1, 2, 3, 4].map((n) => ({
          label: `SEV${n}${n === 1 ? ' (worst)' : ''}`,
          value: String(n),
        })),
      },
      cluster,
    ],
  };
}

export interface IncidentForm {
  title: string;
  severity: number;
  cluster?: string;
}

/** The submitted fields, or a message per wrong field. */
export function readIncidentForm(
  values: Record<string, string>,
  clusters: string[],
): IncidentForm | { errors: Record<string, string> } {
  const errors: Record<string, string> = {};
  const title = (values.title ?? '').trim().replace(/\s+/g, ' ');
  if (title === '') errors.title = 'Say in a few words what is wrong.';
  else if (title.length > TITLE_MAX) errors.title = `At most ${TITLE_MAX} characters.`;
  const sev = (values.sev ?? '').trim();
  if (!/^[1-4]$/.test(sev)) errors.sev = 'Pick a severity from SEV1 to SEV4.';
  const cluster = (values.cluster ?? '').trim();
  if (cluster !== '') {
    if (clusters.length > 0 && !clusters.includes(cluster))
      errors.cluster = `Not a configured cluster; pick one of ${clusters.join(', ')}.`;
    else if (!DNS1123_LABEL.regex.test(cluster))
      errors.cluster = `The cluster name ${DNS1123_LABEL.explain}.`;
  }
  if (Object.keys(errors).length > 0) return { errors };
  const form: IncidentForm = { title, severity: Number(sev) };
  if (cluster) form.cluster = cluster;
  return form;
}

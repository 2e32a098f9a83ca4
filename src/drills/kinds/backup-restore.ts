/**
 * backup-restore: restore one namespace of a Velero Backup into a scratch namespace, measure until
 * Velero reports the Restore Completed, then delete the scratch namespace and the Restore. A
 * Restore that ends Failed, PartiallyFailed or FailedValidation fails the drill (after cleaning up).
 * Rollback deletes the Restore and the scratch namespace, and waits until the namespace is gone
 * so the next drill starts clean.
 *
 * The scratch namespace name is fixed: the operator account may delete that one namespace and no
 * other (a ClusterRole with resourceNames, charts/coxswain operator.restoreNamespace). Velero
 * creates it when it restores; the Restore itself must live in Velero's namespace.
 */
import { formatDuration } from '../../duration.js';
import { type ClusterReader, fieldAt, type KubeObject, type ResourceRef } from '../../kube/cluster-ops.js';
import { escapeChat } from '../../text/escape.js';
import type { DrillKindHandler, DrillParams, StepContext } from '../kind.js';

/** Where restores go; the chart's operator.restoreNamespace must name the same. */
export const RESTORE_NAMESPACE = 'coxswain-drill-restore';
/** Velero's namespace: its Backups, BackupStorageLocations and Restores live there. */
export const VELERO_NAMESPACE = 'velero';

const VELERO = { group: 'velero.io', version: 'v1', namespace: VELERO_NAMESPACE } as const;
const FAILED_PHASES = ['FailedValidation', 'PartiallyFailed', 'Failed'];

interface RestoreState {
  stage?: 'create' | 'watch' | 'cleanup' | 'wait-gone' | 'done';
  backup?: string;
  restore?: string;
  created?: boolean;
  lastPhase?: string;
  cleaned?: boolean;
}

function restoreRef(name: string): ResourceRef {
  return { ...VELERO, plural: 'restores', name };
}

const scratchRef: ResourceRef = { group: '', version: 'v1', plural: 'namespaces', name: RESTORE_NAMESPACE };

/** Whether a Backup's namespace filters take in `namespace`. */
export function backupCovers(backup: KubeObject, namespace: string): boolean {
  const included = (fieldAt(backup, 'spec.includedNamespaces') as string[] | undefined) ?? ['*'];
  const excluded = (fieldAt(backup, 'spec.excludedNamespaces') as string[] | undefined) ?? [];
  const inList = included.length === 0 || included.includes('*') || included.includes(namespace);
  return inList && !excluded.includes(namespace);
}

/** The newest Completed Backup that covers the namespace (by completion time). */
export function newestCompleted(backups: readonly KubeObject[], namespace: string): KubeObject | undefined {
  const completedAt = (b: KubeObject) => Date.parse(String(fieldAt(b, 'status.completionTimestamp') ?? ''));
  return backups
    .filter((b) => fieldAt(b, 'status.phase') === 'Completed' && backupCovers(b, namespace))
    .filter((b) => Number.isFinite(completedAt(b)))
    .sort((a, b) => completedAt(b) - completedAt(a))[0];
}

/** The Restore the drill creates: one namespace of the backup, mapped into the scratch namespace. */
export function restoreObject(name: string, backup: string, source: string): KubeObject {
  return {
    apiVersion: 'velero.io/v1',
    kind: 'Restore',
    metadata: {
      name,
      namespace: VELERO_NAMESPACE,
      labels: { 'app.kubernetes.io/managed-by': 'coxswain', 'coxswain.dev/drill': 'backup-restore' },
    },
    spec: {
      backupName: backup,
      includedNamespaces: [source],
      namespaceMapping: { [source]: RESTORE_NAMESPACE },
    },
  };
}

async function pickBackup(
  reader: ClusterReader,
  params: DrillParams,
): Promise<{ backup?: KubeObject; problem?: string }> {
  const source = params.namespace as string;
  if (params.backup) {
    const backup = await reader.get({ ...VELERO, plural: 'backups', name: params.backup });
    if (!backup)
      return {
        problem: `There is no Velero Backup ${VELERO_NAMESPACE}/${params.backup} on ${params.cluster}.`,
      };
    if (fieldAt(backup, 'status.phase') !== 'Completed')
      return {
        problem: `Velero Backup ${params.backup} is ${String(fieldAt(backup, 'status.phase') ?? 'without a phase')}, not Completed.`,
      };
    if (!backupCovers(backup, source))
      return { problem: `Velero Backup ${params.backup} does not include namespace ${source}.` };
    return { backup };
  }
  const backup = newestCompleted(await reader.list({ ...VELERO, plural: 'backups' }), source);
  return backup
    ? { backup }
    : {
        problem: `No Completed Velero Backup on ${params.cluster} includes namespace ${source}; name one with --backup.`,
      };
}

async function cleanUp(ctx: StepContext, state: RestoreState): Promise<void> {
  if (state.cleaned) return;
  const restore = state.restore ? await ctx.writer.remove(restoreRef(state.restore)) : 'gone';
  const namespace = await ctx.writer.remove(scratchRef);
  state.cleaned = true;
  const deleted = [
    ...(namespace === 'deleted' ? [`the scratch namespace \`${RESTORE_NAMESPACE}\``] : []),
    ...(restore === 'deleted' ? [`the Restore \`${state.restore}\``] : []),
  ];
  ctx.note(
    deleted.length
      ? `Deleted ${deleted.join(' and ')} as coxswain-operator.`
      : 'The Restore and the scratch namespace were already gone.',
  );
}

async function scratchGone(reader: ClusterReader): Promise<boolean> {
  return (await reader.get(scratchRef)) === undefined;
}

export const backupRestore: DrillKindHandler = {
  required: ['namespace'],

  async inspect(params, ops, definition) {
    const source = params.namespace as string;
    const problems: string[] = [];
    const { backup, problem } = await pickBackup(ops.reader, params);
    if (problem) problems.push(problem);
    const location = backup ? String(fieldAt(backup, 'spec.storageLocation') ?? 'default') : undefined;
    if (location) {
      const bsl = await ops.reader.get({ ...VELERO, plural: 'backupstoragelocations', name: location });
      const phase = fieldAt(bsl, 'status.phase');
      if (phase !== 'Available')
        problems.push(
          `The BackupStorageLocation ${location} is ${String(phase ?? 'missing')}, not Available: Velero could not read the backup.`,
        );
    }
    if (!(await scratchGone(ops.reader)))
      problems.push(
        `The scratch namespace ${RESTORE_NAMESPACE} already exists on ${params.cluster} (left by an earlier drill?); delete it first.`,
      );
    const name = backup?.metadata?.name ?? params.backup ?? '(none)';
    return {
      lines: [
        `create a Velero Restore in ${VELERO_NAMESPACE} on ${params.cluster} from Backup ${name}, restoring namespace ${source} into ${RESTORE_NAMESPACE}`,
        `measure until Velero reports the Restore Completed; objective ${formatDuration(definition.objective)}`,
        `delete the scratch namespace ${RESTORE_NAMESPACE} and the Restore`,
      ],
      problems,
    };
  },

  async step(ctx) {
    const state = ctx.state as RestoreState;
    const source = ctx.params.namespace as string;
    if (state.stage === undefined) {
      const { backup, problem } = await pickBackup(ctx.ops.reader, ctx.params);
      if (!backup) throw new Error(problem ?? 'no backup to restore');
      state.backup = backup.metadata?.name as string;
      state.restore = `coxswain-drill-${ctx.now().toString(36)}`;
      state.stage = 'create';
      ctx.note(
        `Restoring namespace ${source} from Velero Backup \`${state.backup}\` (completed ${escapeChat(fieldAt(backup, 'status.completionTimestamp'))}) into \`${RESTORE_NAMESPACE}\`.`,
      );
      return;
    }
    if (state.stage === 'create') {
      const restore = state.restore as string;
      // Marked before the write: a crash right after it must still delete the Restore on rollback.
      state.created = true;
      const result = await ctx.writer.create(
        { ...VELERO, plural: 'restores' },
        restoreObject(restore, state.backup as string, source),
      );
      ctx.disrupted();
      state.stage = 'watch';
      ctx.note(
        `${result === 'created' ? 'Created' : 'Found'} Velero Restore \`${VELERO_NAMESPACE}/${restore}\` as coxswain-operator; waiting for Velero to complete it.`,
      );
      return;
    }
    if (state.stage === 'watch') {
      const restore = await ctx.ops.reader.get(restoreRef(state.restore as string));
      if (!restore) throw new Error(`the Restore ${VELERO_NAMESPACE}/${state.restore} disappeared`);
      const phase = String(fieldAt(restore, 'status.phase') ?? 'New');
      if (phase !== state.lastPhase) {
        if (state.lastPhase !== undefined || phase !== 'New')
          ctx.note(`The Restore is ${escapeChat(phase)}.`);
        state.lastPhase = phase;
      }
      const errors = fieldAt(restore, 'status.errors');
      const warnings = fieldAt(restore, 'status.warnings');
      if (phase === 'Completed') {
        ctx.recovered();
        state.stage = 'cleanup';
        const items = fieldAt(restore, 'status.progress.itemsRestored');
        ctx.finding(
          `Velero completed the Restore${typeof items === 'number' ? `: ${items} items restored` : ''}${typeof warnings === 'number' && warnings > 0 ? `, ${warnings} warnings` : ''}.`,
        );
        return;
      }
      if (FAILED_PHASES.includes(phase)) {
        const reasons =
          fieldAt(restore, 'status.validationErrors') ?? fieldAt(restore, 'status.failureReason');
        ctx.fail(
          `Velero reports the Restore ${phase}${typeof errors === 'number' ? ` with ${errors} errors` : ''}${reasons ? `: ${JSON.stringify(reasons)}` : ''}`,
        );
      }
      return;
    }
    if (state.stage === 'cleanup') {
      await cleanUp(ctx, state);
      state.stage = 'wait-gone';
      return;
    }
    if (state.stage === 'wait-gone') {
      if (await scratchGone(ctx.ops.reader)) {
        ctx.note(`The scratch namespace \`${RESTORE_NAMESPACE}\` is gone.`);
        state.stage = 'done';
      }
    }
  },

  async rollback(ctx) {
    const state = ctx.state as RestoreState;
    if (!state.created) {
      ctx.note('Nothing to undo: no Restore was created.');
      return true;
    }
    await cleanUp(ctx, state);
    return scratchGone(ctx.ops.reader);
  },
};

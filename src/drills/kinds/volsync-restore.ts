/**
 * volsync-restore: restore the newest VolSync (restic) backup of one ReplicationSource into a
 * scratch PVC, measure until VolSync reports the restore done and the PVC is Bound and
 * populated, then delete both. The DR plan's Tier 1 PVC test (docs/platform/
 * implementation-timeline.md, "Test single PVC restore (VolSync)").
 *
 * Where: the scratch namespace (charts/coxswain operator.scratchNamespace, `coxswain-drills`),
 * never the application's namespace, so a mistake cannot touch a live volume. The operator
 * account may create and delete PVCs and ReplicationDestinations there and nowhere else. The
 * restic repository Secret the source names must exist there too under the same name (an
 * ExternalSecret from the same vault item): coxswain never reads Secrets, so VolSync's mover
 * reports it missing, and the drill fails with what VolSync says.
 *
 * "Populated": VolSync's restic mover succeeds also when the repository holds no snapshot, and
 * then restores nothing (mover-restic/entry.sh prints "No eligible snapshots found" and "No data
 * will be restored"); its kept log lines (the mover's logfilter.go) show which it was. So the
 * drill passes only on a Successful mover whose log names no such line, for the manual trigger
 * it set (status.lastManualSync), with the PVC Bound.
 */
import { formatDuration } from '../../duration.js';
import { type ClusterReader, fieldAt, type KubeObject, type ResourceRef } from '../../kube/cluster-ops.js';
import { escapeChat } from '../../text/escape.js';
import type { DrillKindHandler, DrillParams, StepContext } from '../kind.js';

/** Where the drill restores; the chart's operator.scratchNamespace.name must name the same. */
export const SCRATCH_NAMESPACE = 'coxswain-drills';

const VOLSYNC = { group: 'volsync.backube', version: 'v1alpha1' } as const;
const PVCS = { group: '', version: 'v1', plural: 'persistentvolumeclaims' } as const;
/** What the restic mover logs when there was nothing to restore (mover-restic/entry.sh). */
const NOTHING_RESTORED = /No eligible snapshots|No data will be restored/i;

interface VolsyncState {
  stage?: 'create-pvc' | 'create-destination' | 'watch' | 'verify' | 'cleanup' | 'wait-gone' | 'done';
  /** The scratch PVC and the ReplicationDestination: one name for both. */
  target?: string;
  repository?: string;
  capacity?: string;
  storageClassName?: string;
  accessModes?: string[];
  /** The value of spec.trigger.manual: VolSync copies it to status.lastManualSync when done. */
  trigger?: string;
  pvcCreated?: boolean;
  destinationCreated?: boolean;
  lastCondition?: string;
  cleaned?: boolean;
}

/** The scratch objects' name for a source: short enough for a PVC and a label value. */
export function scratchName(source: string): string {
  return `coxswain-drill-${source}`.slice(0, 63).replace(/-+$/, '');
}

function sourceRef(params: DrillParams): ResourceRef {
  return {
    ...VOLSYNC,
    plural: 'replicationsources',
    namespace: params.namespace as string,
    name: params.source as string,
  };
}

function destinationRef(name: string): ResourceRef {
  return { ...VOLSYNC, plural: 'replicationdestinations', namespace: SCRATCH_NAMESPACE, name };
}

function pvcRef(name: string): ResourceRef {
  return { ...PVCS, namespace: SCRATCH_NAMESPACE, name };
}

const LABELS = { 'app.kubernetes.io/managed-by': 'coxswain', 'coxswain.dev/drill': 'volsync-restore' };

/** The scratch PVC: the size, class and access modes of the volume it stands in for. */
export function scratchPvc(state: VolsyncState): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: state.target, namespace: SCRATCH_NAMESPACE, labels: LABELS },
    spec: {
      accessModes: state.accessModes,
      resources: { requests: { storage: state.capacity } },
      ...(state.storageClassName ? { storageClassName: state.storageClassName } : {}),
    },
  };
}

/** The ReplicationDestination: a manual restic restore of the source's repository into the PVC. */
export function replicationDestination(state: VolsyncState): KubeObject {
  return {
    apiVersion: 'volsync.backube/v1alpha1',
    kind: 'ReplicationDestination',
    metadata: { name: state.target, namespace: SCRATCH_NAMESPACE, labels: LABELS },
    spec: {
      trigger: { manual: state.trigger },
      restic: { repository: state.repository, destinationPVC: state.target, copyMethod: 'Direct' },
    },
  };
}

interface SourceFacts {
  repository: string;
  /** Unset when the source's PVC is not there (then readSource says so as a problem). */
  capacity: string | undefined;
  storageClassName?: string;
  accessModes: string[];
  lastSync?: string;
}

async function readSource(
  reader: ClusterReader,
  params: DrillParams,
): Promise<{ facts?: SourceFacts; problem?: string }> {
  const where = `${params.namespace}/${params.source}`;
  const source = await reader.get(sourceRef(params));
  if (!source) return { problem: `There is no VolSync ReplicationSource ${where} on ${params.cluster}.` };
  const repository = fieldAt(source, 'spec.restic.repository');
  if (typeof repository !== 'string')
    return { problem: `ReplicationSource ${where} is not a restic backup (no spec.restic.repository).` };
  const pvcName = fieldAt(source, 'spec.sourcePVC');
  const pvc =
    typeof pvcName === 'string'
      ? await reader.get({ ...PVCS, namespace: params.namespace as string, name: pvcName })
      : undefined;
  const capacity = fieldAt(pvc, 'status.capacity.storage') ?? fieldAt(pvc, 'spec.resources.requests.storage');
  const accessModes = fieldAt(pvc, 'spec.accessModes');
  const storageClassName =
    fieldAt(pvc, 'spec.storageClassName') ?? fieldAt(source, 'spec.restic.storageClassName');
  const lastSync = fieldAt(source, 'status.lastSyncTime');
  return {
    ...(typeof capacity === 'string'
      ? {}
      : {
          problem: `The volume ReplicationSource ${where} backs up (PVC ${String(pvcName)}) is not there to size the scratch PVC by.`,
        }),
    facts: {
      repository,
      capacity: typeof capacity === 'string' ? capacity : undefined,
      accessModes:
        Array.isArray(accessModes) && accessModes.length ? (accessModes as string[]) : ['ReadWriteOnce'],
      ...(typeof storageClassName === 'string' ? { storageClassName } : {}),
      ...(typeof lastSync === 'string' ? { lastSync } : {}),
    },
  };
}

async function gone(reader: ClusterReader, name: string): Promise<boolean> {
  return (
    (await reader.get(pvcRef(name))) === undefined && (await reader.get(destinationRef(name))) === undefined
  );
}

async function cleanUp(ctx: StepContext, state: VolsyncState): Promise<void> {
  if (state.cleaned) return;
  const name = state.target as string;
  const destination = state.destinationCreated ? await ctx.writer.remove(destinationRef(name)) : 'gone';
  const pvc = state.pvcCreated ? await ctx.writer.remove(pvcRef(name)) : 'gone';
  state.cleaned = true;
  const deleted = [
    ...(destination === 'deleted' ? [`the ReplicationDestination \`${SCRATCH_NAMESPACE}/${name}\``] : []),
    ...(pvc === 'deleted' ? [`the scratch PVC \`${SCRATCH_NAMESPACE}/${name}\``] : []),
  ];
  ctx.note(
    deleted.length
      ? `Deleted ${deleted.join(' and ')} as coxswain-operator.`
      : 'The ReplicationDestination and the scratch PVC were already gone.',
  );
}

export const volsyncRestore: DrillKindHandler = {
  required: ['namespace', 'source'],

  async inspect(params, ops, definition) {
    const problems: string[] = [];
    const { facts, problem } = await readSource(ops.reader, params);
    if (problem) problems.push(problem);
    const name = scratchName(params.source as string);
    if (!(await gone(ops.reader, name)))
      problems.push(
        `The scratch PVC or ReplicationDestination ${SCRATCH_NAMESPACE}/${name} already exists on ${params.cluster} (left by an earlier drill?); delete it first.`,
      );
    return {
      lines: [
        `create PVC ${SCRATCH_NAMESPACE}/${name} (${facts?.capacity ?? '?'}, ${facts?.storageClassName ?? 'default class'}) and a ReplicationDestination restoring restic repository ${facts?.repository ?? '?'} (of ReplicationSource ${params.namespace}/${params.source}, last backup ${facts?.lastSync ?? 'never'}) into it, as coxswain-operator`,
        `needs the Secret ${facts?.repository ?? '?'} in ${SCRATCH_NAMESPACE} (coxswain cannot check: it reads no Secrets)`,
        `measure until VolSync reports the manual restore done with data restored and the PVC is Bound; objective ${formatDuration(definition.objective)}`,
        `delete the ReplicationDestination and the scratch PVC`,
      ],
      problems,
    };
  },

  async step(ctx) {
    const state = ctx.state as VolsyncState;
    if (state.stage === undefined) {
      const { facts, problem } = await readSource(ctx.ops.reader, ctx.params);
      if (!facts || problem) throw new Error(problem ?? 'no ReplicationSource to restore');
      Object.assign(state, {
        target: scratchName(ctx.params.source as string),
        repository: facts.repository,
        capacity: facts.capacity,
        accessModes: facts.accessModes,
        trigger: `coxswain-${ctx.now().toString(36)}`,
        stage: 'create-pvc',
        ...(facts.storageClassName ? { storageClassName: facts.storageClassName } : {}),
      });
      ctx.note(
        `Restoring the newest restic backup of ReplicationSource ${escapeChat(`${ctx.params.namespace}/${ctx.params.source}`)} (last backup ${escapeChat(facts.lastSync ?? 'never')}) into the scratch PVC \`${SCRATCH_NAMESPACE}/${state.target}\`.`,
      );
      return;
    }
    const name = state.target as string;
    if (state.stage === 'create-pvc') {
      // Marked before the write: a crash right after it must still delete the PVC on rollback.
      state.pvcCreated = true;
      const result = await ctx.writer.create({ ...PVCS, namespace: SCRATCH_NAMESPACE }, scratchPvc(state));
      ctx.note(
        `${result === 'created' ? 'Created' : 'Found'} the scratch PVC (${escapeChat(state.capacity)}) as coxswain-operator.`,
      );
      state.stage = 'create-destination';
      return;
    }
    if (state.stage === 'create-destination') {
      state.destinationCreated = true;
      const result = await ctx.writer.create(
        { ...VOLSYNC, plural: 'replicationdestinations', namespace: SCRATCH_NAMESPACE },
        replicationDestination(state),
      );
      ctx.disrupted();
      state.stage = 'watch';
      ctx.note(
        `${result === 'created' ? 'Created' : 'Found'} ReplicationDestination \`${SCRATCH_NAMESPACE}/${name}\` (manual trigger \`${state.trigger}\`) as coxswain-operator; waiting for VolSync to restore.`,
      );
      return;
    }
    if (state.stage === 'watch') {
      const destination = await ctx.ops.reader.get(destinationRef(name));
      if (!destination)
        throw new Error(`the ReplicationDestination ${SCRATCH_NAMESPACE}/${name} disappeared`);
      const conditions =
        (fieldAt(destination, 'status.conditions') as
          | { type?: string; reason?: string; message?: string }[]
          | undefined) ?? [];
      const sync = conditions.find((c) => c.type === 'Synchronizing');
      const said = sync ? `${sync.reason ?? ''}: ${sync.message ?? ''}` : undefined;
      if (said && said !== state.lastCondition) {
        ctx.note(`VolSync: ${escapeChat(said)}.`);
        state.lastCondition = said;
      }
      if (fieldAt(destination, 'status.lastManualSync') !== state.trigger) return;
      const result = fieldAt(destination, 'status.latestMoverStatus.result');
      const logs = String(fieldAt(destination, 'status.latestMoverStatus.logs') ?? '');
      if (result !== 'Successful') {
        ctx.fail(
          `VolSync's restic mover reports ${String(result ?? 'no result')}: ${logs.trim() || 'no log'}`,
        );
        return;
      }
      if (NOTHING_RESTORED.test(logs)) {
        ctx.fail('VolSync found no snapshot in the repository: nothing was restored');
        return;
      }
      state.stage = 'verify';
      return;
    }
    if (state.stage === 'verify') {
      const pvc = await ctx.ops.reader.get(pvcRef(name));
      if (!pvc) throw new Error(`the scratch PVC ${SCRATCH_NAMESPACE}/${name} disappeared`);
      const phase = fieldAt(pvc, 'status.phase');
      if (phase !== 'Bound') return;
      ctx.recovered();
      const restored = (
        String(fieldAt(await ctx.ops.reader.get(destinationRef(name)), 'status.latestMoverStatus.logs') ?? '')
          .split('\n')
          .find((line) => /^\s*restoring/i.test(line)) ?? ''
      ).trim();
      ctx.finding(
        // The restic line is the mover's log, outside text: escaped, and last, so no period is added to it.
        `VolSync restored into the Bound PVC (${escapeChat(fieldAt(pvc, 'status.capacity.storage') ?? state.capacity)})${restored ? `; restic: ${escapeChat(restored)}` : '.'}`,
      );
      state.stage = 'cleanup';
      return;
    }
    if (state.stage === 'cleanup') {
      await cleanUp(ctx, state);
      state.stage = 'wait-gone';
      return;
    }
    if (state.stage === 'wait-gone' && (await gone(ctx.ops.reader, name))) {
      ctx.note('The scratch PVC and the ReplicationDestination are gone.');
      state.stage = 'done';
    }
  },

  async rollback(ctx) {
    const state = ctx.state as VolsyncState;
    if (!state.pvcCreated && !state.destinationCreated) {
      ctx.note('Nothing to undo: nothing was created.');
      return true;
    }
    await cleanUp(ctx, state);
    return gone(ctx.ops.reader, state.target as string);
  },
};

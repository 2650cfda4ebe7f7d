import { paddedIndex, parseItemId } from '../../domain/map-items.ts';
import {
  ACTIVE_RUN_STATUSES,
  type ErrorInfo,
  type NodeRecord,
  type RunChange,
  type RunCondition,
  type RunRecord,
  type RunStatus,
} from '../../ports/run-store.ts';
import { type Expr, updateExpression } from './dynamodb-expr.ts';

export type Item = Record<string, unknown>;
export type Key = { readonly pk: string; readonly sk: string };

/**
 * Partitions of the sparse `active` index. One constant key would put every run start and end of
 * the account on one index partition (1,000 writes a second at most); a run's shard is a hash of
 * its id, so the writes spread over ACTIVE_SHARDS partitions.
 */
export const ACTIVE_SHARDS = 16;
/** The key every active run had before the index was sharded: listed until their next status change moves them. */
const UNSHARDED_ACTIVE_PK = 'ACTIVE';
/** Every `activePk` value, in the order `listActiveRuns` reads them. */
export const ACTIVE_PKS: readonly string[] = [
  ...Array.from({ length: ACTIVE_SHARDS }, (_, shard) => `ACTIVE#${shard}`),
  UNSHARDED_ACTIVE_PK,
];

/** Value of `activePk` while the run is active (`ACTIVE#<0..15>`); the attribute is removed when it ends. */
export function activePkOf(runId: string): string {
  // FNV-1a: stable across processes and releases, unlike anything seeded.
  let hash = 0x811c9dc5;
  for (let i = 0; i < runId.length; i++) hash = Math.imul(hash ^ runId.charCodeAt(i), 0x01000193);
  return `ACTIVE#${(hash >>> 0) % ACTIVE_SHARDS}`;
}

/** The sweeper's lease: `holder`, `leaseUntil` (epoch ms), `cursor`, `round` (see `takeSweepLease`). */
export const sweepLeaseKey: Key = { pk: 'SWEEPER', sk: 'LEASE' };

/**
 * The run attributes the indexes carry (besides the keys): every RunRecord field but `outputs`,
 * so ending a run with a large output does not copy it into each index. What a listing needs (the
 * API's summaries, the sweeper's runs) is a few hundred bytes, under the 1 KB an index write is
 * billed by, so carrying only the summary's fields would cost the same.
 */
export const LISTED_RUN_ATTRIBUTES = [
  'tenant',
  'workflow',
  'version',
  'status',
  'sinkCount',
  'epoch',
  'failed',
  'error',
  'idempotencyKey',
  'createdAt',
  'updatedAt',
  'endedAt',
  'deadline',
  'epochStartedAt',
  'progressAt',
  'control',
  'expiresAt',
  'parent',
] as const;

/** The sort key of a run item, and the prefix of a node item's (`N#<node id>`). */
export const RUN_SK = 'RUN';
export const NODE_SK_PREFIX = 'N#';
export const runKey = (runId: string): Key => ({ pk: `R#${runId}`, sk: RUN_SK });
export const inputsKey = (runId: string): Key => ({ pk: `R#${runId}`, sk: 'IN' });
/** The prefix of a map item's sort key (`M#<map id>#<index, zero-padded>`): not a node listing's. */
export const ITEM_SK_PREFIX = 'M#';
export const itemsPrefix = (mapId: string) => `${ITEM_SK_PREFIX}${mapId}#`;
export const nodeKey = (runId: string, nodeId: string): Key => {
  const item = parseItemId(nodeId);
  return {
    pk: `R#${runId}`,
    sk: item ? `${itemsPrefix(item.mapId)}${paddedIndex(item.index)}` : `${NODE_SK_PREFIX}${nodeId}`,
  };
};
/** Which kind of item a sort key names: the run item, a node item, or another (inputs, done-sets, ...). */
export const itemKindOf = (sk: string | undefined): 'run' | 'node' | undefined =>
  sk === RUN_SK ? 'run' : sk?.startsWith(NODE_SK_PREFIX) ? 'node' : undefined;
export const doneKey = (runId: string, setKey: string): Key => ({ pk: `R#${runId}`, sk: `E#${setKey}` });
export const idempotencyKeyOf = (tenant: string, key: string): Key => ({
  pk: `T#${tenant}#I#${key}`,
  sk: 'I',
});
export const slotsKey = (tenant: string, workflow: string): Key => ({
  pk: `T#${tenant}#W#${workflow}`,
  sk: 'SLOTS',
});
export const waitingPk = (tenant: string, workflow: string) => `T#${tenant}#W#${workflow}#WAIT`;
export const tenantPk = (tenant: string) => `T#${tenant}`;
export const workflowPk = (tenant: string, workflow: string) => `T#${tenant}#W#${workflow}`;
export const statusPk = (tenant: string, status: RunStatus) => `T#${tenant}#S#${status}`;

/** Attributes of a run item that are not RunRecord fields. */
const RUN_ONLY = ['pk', 'sk', 'gsi1pk', 'gsi2pk', 'gsi3pk', 'activePk', 'outputsJson'];
const NODE_ONLY = ['pk', 'sk', 'outputJson', 'completionJson', 'itemJson'];
export const NODE_SETS = ['arrived', 'failedParents', 'skippedParents'] as const;
/** Optional node fields that `resetNode` clears. */
export const NODE_OPTIONAL =
  'status token leaseUntil via outputJson error reason startedAt endedAt wakeAt readyAt resends handBacks completionTokenHash completionToken completionWindowMs completionJson childRunId spawnKey mapRound mapTotal mapLanes awaitRef'.split(
    ' ',
  );

/** Outputs (and a completion's) are stored as JSON text (see the adapter's notes); other fields under their own name. */
const storedRunField = (field: string) => (field === 'outputs' ? 'outputsJson' : field);
export const storedNodeField = (field: string) =>
  field === 'output' ? 'outputJson' : field === 'completion' ? 'completionJson' : field;

/** The value as DynamoDB stores it: outputs as JSON text, errors without undefined members. */
export function stored(field: string, value: unknown): unknown {
  if (field === 'outputs' || field === 'output' || field === 'completion') return JSON.stringify(value);
  if (field === 'error' || field === 'control') return JSON.parse(JSON.stringify(value));
  return value;
}

export function runItem(run: RunRecord): Item {
  const item: Item = {
    ...runKey(run.runId),
    gsi1pk: tenantPk(run.tenant),
    gsi2pk: workflowPk(run.tenant, run.workflow),
    gsi3pk: statusPk(run.tenant, run.status),
    ...((ACTIVE_RUN_STATUSES.includes(run.status) || run.control) && { activePk: activePkOf(run.runId) }),
  };
  for (const [field, value] of Object.entries(run)) {
    if (value !== undefined) item[storedRunField(field)] = stored(field, value);
  }
  return item;
}

export function toRun(item: Item): RunRecord {
  const run = omit(item, RUN_ONLY);
  if (item.outputsJson !== undefined) run.outputs = JSON.parse(item.outputsJson as string);
  return run as unknown as RunRecord;
}

export function toNode(item: Item): NodeRecord {
  const node = omit(item, NODE_ONLY);
  if (item.outputJson !== undefined) node.output = JSON.parse(item.outputJson as string);
  if (item.completionJson !== undefined) node.completion = JSON.parse(item.completionJson as string);
  if (item.itemJson !== undefined) node.item = JSON.parse(item.itemJson as string);
  // DynamoDB has no empty sets: an absent set is an empty one. Sets are unordered; sort them.
  for (const name of NODE_SETS) node[name] = [...((item[name] as Set<string> | undefined) ?? [])].sort();
  return node as unknown as NodeRecord;
}

function omit(item: Item, names: readonly string[]): Item {
  return Object.fromEntries(Object.entries(item).filter(([name]) => !names.includes(name)));
}

/**
 * `updateRun`'s update. With a new status, `tenant` (immutable, so read or remembered) rebuilds
 * the byStatus key, and `activePk` is set or removed so the sparse `active` index follows.
 */
export function runUpdate(
  runId: string,
  change: RunChange & { readonly updatedAt: string },
  tenant: string | undefined,
  x: Expr,
) {
  const { remove: removeList, ...fields } = change;
  const required = new Set(['status', 'epoch', 'expiresAt', 'updatedAt']);
  const removed = new Set<string>(removeList ?? []);
  for (const [field, value] of Object.entries(fields))
    if (value === undefined && !required.has(field)) removed.add(field);
  const set: string[] = [];
  for (const [field, value] of Object.entries(fields)) {
    if (value === undefined || removed.has(field)) continue;
    set.push(`${x.n(storedRunField(field))} = ${x.v(stored(field, value))}`);
  }
  const remove = [...removed].map((field) => x.n(storedRunField(field)));
  if (change.status !== undefined && tenant !== undefined) {
    set.push(`${x.n('gsi3pk')} = ${x.v(statusPk(tenant, change.status))}`);
    const pending = change.control !== undefined && !removed.has('control');
    if (ACTIVE_RUN_STATUSES.includes(change.status) || pending) {
      set.push(`${x.n('activePk')} = ${x.v(activePkOf(runId))}`);
    } else {
      remove.push(x.n('activePk'));
    }
  }
  return updateExpression({ set, remove });
}

/**
 * `updateRun`'s condition: the status, the pending control named in `when`, and, for a change to
 * an inactive status that does not touch `control`, no pending control (see RunChange).
 */
export function runCondition(
  ifStatus: readonly RunStatus[],
  change: RunChange,
  when: RunCondition,
  x: Expr,
): string {
  const all = [`${x.n('status')} IN (${x.list(ifStatus)})`];
  const control = '#control';
  const ends = change.status !== undefined && !ACTIVE_RUN_STATUSES.includes(change.status);
  const touches = change.control !== undefined || change.remove?.includes('control');
  if (when.control === 'none' || (ends && !touches)) all.push(`attribute_not_exists(${x.n('control')})`);
  if (typeof when.control === 'object') {
    x.n('control');
    all.push(`${control}.${x.n('action')} = ${x.v(when.control.action)}`);
    all.push(`${control}.${x.n('epoch')} = ${x.v(when.control.epoch)}`);
  }
  return all.join(' AND ');
}

/** `recordFailure`: `failed = true`, the first error kept; never creates an item. */
export function failureUpdate(error: ErrorInfo, updatedAt: string, x: Expr) {
  const first = x.v(stored('error', error));
  const set = [
    `${x.n('failed')} = ${x.v(true)}`,
    `${x.n('error')} = if_not_exists(${x.n('error')}, ${first})`,
    `${x.n('updatedAt')} = ${x.v(updatedAt)}`,
  ];
  return { update: updateExpression({ set }), condition: `attribute_exists(${x.n('pk')})` };
}

/** `addDone`: adds `member` to the number set `done` unless it is there. */
export function doneUpdate(member: number, expiresAt: number, x: Expr) {
  const done = x.n('done');
  return {
    update: updateExpression({
      add: [`${done} ${x.v(new Set([member]))}`],
      set: [ifAbsent(x, 'expiresAt', expiresAt)],
    }),
    condition: `attribute_not_exists(${done}) OR NOT contains(${done}, ${x.v(member)})`,
  };
}

/**
 * `createRun`'s transaction: the run and inputs items, each only if new, and the idempotency
 * key's item only if new, or still pointing to the `stale` run that no longer exists.
 */
export function creationItems(
  TableName: string,
  run: RunRecord,
  body: Uint8Array | undefined,
  idempotency: { key: Key; stale: string | undefined } | undefined,
) {
  const ifNew = { ConditionExpression: 'attribute_not_exists(pk)' };
  const inputs = { ...inputsKey(run.runId), ...(body && { body }), expiresAt: run.expiresAt };
  const items = [
    { Put: { TableName, Item: runItem(run), ...ifNew } },
    { Put: { TableName, Item: inputs, ...ifNew } },
  ];
  if (!idempotency) return items;
  const { key, stale } = idempotency;
  const claim =
    stale === undefined
      ? ifNew
      : { ConditionExpression: 'runId = :stale', ExpressionAttributeValues: { ':stale': stale } };
  return [
    ...items,
    { Put: { TableName, Item: { ...key, runId: run.runId, expiresAt: run.expiresAt }, ...claim } },
  ];
}

export const ifAbsent = (x: Expr, attribute: string, value: unknown) =>
  `${x.n(attribute)} = if_not_exists(${x.n(attribute)}, ${x.v(value)})`;

/**
 * The conditions and updates of node items (`N#<node>`, and map items `M#<map>#<index>`) for
 * `DynamoDbNodes`: each one conditional UpdateItem, as the memory adapter applies them.
 */
import type { ItemSeed, NodeChange, NodeCondition, NodeRecord } from '../../ports/run-store.ts';
import { type Expr, updateExpression } from './dynamodb-expr.ts';
import { ifAbsent, NODE_OPTIONAL, NODE_SETS, stored, storedNodeField } from './dynamodb-run-items.ts';

/**
 * The condition for `when`, or undefined when it can match nothing (no status accepted).
 * `(status accepted OR due OR lease expired) AND fence AND arrivedCount AND epoch`, as the memory
 * adapter. DynamoDB refuses redundant parentheses, so a single alternative is not wrapped.
 */
export function nodeCondition(when: NodeCondition, x: Expr): string | undefined {
  const status = x.n('status');
  const accepted: string[] = [];
  if (when.status.includes('ABSENT')) accepted.push(`attribute_not_exists(${status})`);
  const statuses = when.status.filter((s) => s !== 'ABSENT');
  if (statuses.length > 0) accepted.push(`${status} IN (${x.list(statuses)})`);
  if (when.orDueBefore !== undefined) {
    const due = `${x.n('wakeAt')} <= ${x.v(when.orDueBefore)}`;
    accepted.push(`${status} IN (${x.list(['RETRY_WAIT', 'WAITING'])}) AND ${due}`);
  }
  if (when.orLeaseExpiredBefore !== undefined) {
    const expired = `${x.n('leaseUntil')} < ${x.v(when.orLeaseExpiredBefore)}`;
    const below =
      when.takeoverBelowAttempt === undefined
        ? ''
        : ` AND ${x.n('attempt')} < ${x.v(when.takeoverBelowAttempt)}`;
    accepted.push(`${status} = ${x.v('RUNNING')} AND ${expired}${below}`);
  }
  if (accepted.length === 0) return undefined;
  const [only] = accepted;
  const all = [
    accepted.length === 1 && only !== undefined
      ? only
      : `(${accepted.map((term) => (term.includes(' AND ') ? `(${term})` : term)).join(' OR ')})`,
  ];
  if (when.fence !== undefined) all.push(`${x.n('fence')} = ${x.v(when.fence)}`);
  if (when.arrivedCount !== undefined) {
    // A set is never empty in DynamoDB, and a missing attribute has no size.
    all.push(
      when.arrivedCount === 0
        ? `attribute_not_exists(${x.n('arrived')})`
        : `size(${x.n('arrived')}) = ${x.v(when.arrivedCount)}`,
    );
  }
  if (when.epoch !== undefined) all.push(epochCondition(when.epoch, x));
  return all.join(' AND ');
}

/** The node is of `epoch`: an absent `epoch` attribute (or item) is epoch 0. */
function epochCondition(epoch: number, x: Expr): string {
  const name = x.n('epoch');
  return epoch === 0 ? `(attribute_not_exists(${name}) OR ${name} = ${x.v(0)})` : `${name} = ${x.v(epoch)}`;
}

/**
 * The update for `change`, creating a well-formed item when there is none: identity, `attempt`
 * and `fence` (0 unless bumped) and `expiresAt` are set if absent. A field listed in `remove`, or
 * set to `undefined`, is removed (as the memory adapter's spread and delete do).
 */
export function nodeUpdate(runId: string, nodeId: string, change: NodeChange, expiresAt: number, x: Expr) {
  const set = [`${x.n('runId')} = ${x.v(runId)}`, `${x.n('nodeId')} = ${x.v(nodeId)}`];
  const add: string[] = [];
  const removed = new Set<string>(change.remove ?? []);
  const fields = Object.entries(change.set ?? {});
  for (const [field, value] of fields) if (value === undefined && field !== 'expiresAt') removed.add(field);
  for (const [field, value] of fields) {
    if (value === undefined || removed.has(field) || field === 'expiresAt') continue;
    set.push(`${x.n(storedNodeField(field))} = ${x.v(stored(field, value))}`);
  }
  if (change.startedAtIfAbsent !== undefined && change.set?.startedAt === undefined) {
    const startedAt = x.n('startedAt');
    const value = x.v(change.startedAtIfAbsent);
    set.push(
      removed.delete('startedAt')
        ? `${startedAt} = ${value}`
        : `${startedAt} = if_not_exists(${startedAt}, ${value})`,
    );
  }
  if (change.addAttempt) add.push(`${x.n('attempt')} ${x.v(change.addAttempt)}`);
  else set.push(ifAbsent(x, 'attempt', 0));
  if (change.bumpFence) add.push(`${x.n('fence')} ${x.v(1)}`);
  else set.push(ifAbsent(x, 'fence', 0));
  const newExpiry = change.set?.expiresAt;
  set.push(
    newExpiry === undefined ? ifAbsent(x, 'expiresAt', expiresAt) : `${x.n('expiresAt')} = ${x.v(newExpiry)}`,
  );
  const remove = [...removed].map((field) => x.n(storedNodeField(field)));
  return updateExpression({ set, add, remove });
}

/** Arrival of `parentId`: adds it to `arrived` (and its outcome set), creating the item if needed. */
export function arrivalUpdate(
  runId: string,
  nodeId: string,
  parentId: string,
  outcomeSet: string | undefined,
  expiresAt: number,
  epoch: number,
  x: Expr,
) {
  const parent = x.v(new Set([parentId]));
  const set = [`${x.n('runId')} = ${x.v(runId)}`, `${x.n('nodeId')} = ${x.v(nodeId)}`];
  set.push(ifAbsent(x, 'attempt', 0), ifAbsent(x, 'fence', 0), ifAbsent(x, 'expiresAt', expiresAt));
  const add = [`${x.n('arrived')} ${parent}`, ...(outcomeSet ? [`${x.n(outcomeSet)} ${parent}`] : [])];
  const arrived = x.n('arrived');
  const fresh = `(attribute_not_exists(${arrived}) OR NOT contains(${arrived}, ${x.v(parentId)}))`;
  return { update: updateExpression({ set, add }), condition: `${fresh} AND ${epochCondition(epoch, x)}` };
}

/**
 * `resetNode` unless RUNNING or already of `epoch` (or later): stamps `epoch`, keeps `attempt`,
 * bumps `fence`, replaces the arrival sets, clears the rest.
 */
export function resetUpdate(
  runId: string,
  nodeId: string,
  arrivals: Pick<NodeRecord, 'arrived' | 'failedParents' | 'skippedParents'>,
  expiresAt: number,
  epoch: number,
  x: Expr,
) {
  const set = [`${x.n('runId')} = ${x.v(runId)}`, `${x.n('nodeId')} = ${x.v(nodeId)}`];
  set.push(ifAbsent(x, 'attempt', 0), `${x.n('expiresAt')} = ${x.v(expiresAt)}`);
  const epochName = x.n('epoch');
  set.push(`${epochName} = ${x.v(epoch)}`);
  const remove = NODE_OPTIONAL.map((name) => x.n(name));
  for (const name of NODE_SETS) {
    if (arrivals[name].length > 0) set.push(`${x.n(name)} = ${x.v(new Set(arrivals[name]))}`);
    else remove.push(x.n(name));
  }
  // Anything but RUNNING: a comparison with a missing attribute is false, hence the explicit test.
  const status = x.n('status');
  const condition =
    `(attribute_not_exists(${status}) OR ${status} <> ${x.v('RUNNING')}) AND ` +
    `(attribute_not_exists(${epochName}) OR ${epochName} < ${x.v(epoch)})`;
  return { update: updateExpression({ set, add: [`${x.n('fence')} ${x.v(1)}`], remove }), condition };
}

/**
 * `seedItem`: the seed, `attempt` 0, `fence` bumped, every other field cleared, unless the item
 * was seeded by this round or a later one.
 */
export function seedUpdate(runId: string, itemId: string, seed: ItemSeed, expiresAt: number, x: Expr) {
  const set = [`${x.n('runId')} = ${x.v(runId)}`, `${x.n('nodeId')} = ${x.v(itemId)}`];
  set.push(`${x.n('itemJson')} = ${x.v(JSON.stringify(seed.item) ?? 'null')}`);
  for (const field of ['itemHash', 'lane', 'lanes', 'seededBy', 'epoch'] as const) {
    set.push(`${x.n(field)} = ${x.v(seed[field])}`);
  }
  set.push(`${x.n('attempt')} = ${x.v(0)}`, `${x.n('expiresAt')} = ${x.v(expiresAt)}`);
  const remove = [...NODE_OPTIONAL, ...NODE_SETS].map((name) => x.n(name));
  if (seed.next === undefined) remove.push(x.n('next'));
  else set.push(`${x.n('next')} = ${x.v(seed.next)}`);
  const seededBy = x.n('seededBy');
  return {
    update: updateExpression({ set, add: [`${x.n('fence')} ${x.v(1)}`], remove }),
    condition: `attribute_not_exists(${seededBy}) OR ${seededBy} < ${x.v(seed.seededBy)}`,
  };
}

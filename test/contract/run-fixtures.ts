import { randomUUID } from 'node:crypto';
import { monotonicFactory } from 'ulid';
import { expect } from 'vitest';
import type { Page, PageRequest } from '../../shared/ports/page.ts';
import type { NodeChange, NodeRecord, RunRecord, RunStore } from '../../shared/ports/run-store.ts';

/** Fixtures of the run store contract suites. */
/** TTL far in the future (2100-01-01), so no store expires the items of a test. */
export const EXPIRES = 4_102_444_800;
export const newId = monotonicFactory();
export const newTenant = () => `t-${randomUUID().slice(0, 8)}`;

export function runRecord(overrides: Partial<RunRecord> = {}): RunRecord {
  return {
    runId: newId(),
    tenant: newTenant(),
    workflow: 'orders',
    version: '1.2.0',
    status: 'RUNNING',
    sinkCount: 2,
    epoch: 0,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    expiresAt: EXPIRES,
    ...overrides,
  };
}

export async function created(store: RunStore, run: RunRecord): Promise<RunRecord> {
  const result = await store.createRun(run, { runId: run.runId });
  expect(result.created).toBe(true);
  return result.run;
}

/** A node item as created by its first write, before any field is set. */
export function blank(runId: string, nodeId: string): NodeRecord {
  return {
    runId,
    nodeId,
    attempt: 0,
    fence: 0,
    arrived: [],
    failedParents: [],
    skippedParents: [],
    expiresAt: EXPIRES,
  };
}

/** Writes a node in the given state (it must not exist yet). */
export async function nodeIn(
  store: RunStore,
  runId: string,
  nodeId: string,
  set: NonNullable<NodeChange['set']>,
  change: Omit<NodeChange, 'set'> = {},
): Promise<NodeRecord> {
  const node = await store.updateNode(runId, nodeId, { status: ['ABSENT'] }, { ...change, set }, EXPIRES);
  if (!node) throw new Error(`node ${nodeId} of run ${runId} already exists`);
  return node;
}

/** Arrival sets have no order: sorted, for comparing. */
export function sorted(node: NodeRecord | undefined): NodeRecord | undefined {
  return (
    node && {
      ...node,
      arrived: [...node.arrived].sort(),
      failedParents: [...node.failedParents].sort(),
      skippedParents: [...node.skippedParents].sort(),
    }
  );
}

/** Follows cursors to the last page; fails rather than loop forever. */
export async function everyPage<T>(list: (page: PageRequest) => Promise<Page<T>>) {
  const items: T[] = [];
  const sizes: number[] = [];
  let cursor: string | undefined;
  for (let n = 0; n < 10_000; n++) {
    const page = await list(cursor === undefined ? {} : { cursor });
    items.push(...page.items);
    sizes.push(page.items.length);
    cursor = page.cursor;
    if (cursor === undefined) return { items, sizes };
  }
  throw new Error('the listing never ended');
}

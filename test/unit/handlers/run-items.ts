/** Items of the runs table as `DynamoDbRunStore` writes them, for the monitor's tests. */
import { nodeKey, runItem } from '../../../shared/adapters/aws/dynamodb-run-items.ts';
import type { RunRecord, RunStatus } from '../../../shared/ports/run-store.ts';

export const RUN_ID = '01JGZ5Y0Q4M1V7S8T9A0B1C2D3';
export const CREATED = '2026-01-01T12:00:00.000Z';

/** The run item of `orders@1.2.0` for tenant `acme` in `status`. */
export function runAt(status: RunStatus, extra: Partial<RunRecord> = {}): Record<string, unknown> {
  return runItem({
    runId: RUN_ID,
    tenant: 'acme',
    workflow: 'orders',
    version: '1.2.0',
    status,
    sinkCount: 1,
    epoch: 0,
    createdAt: CREATED,
    updatedAt: extra.endedAt ?? CREATED,
    expiresAt: 1_800_000_000,
    ...extra,
  });
}

/** A node item (no tenant or workflow: node items never hold them). */
export function nodeAt(nodeId: string, status: string | undefined, extra: Record<string, unknown> = {}) {
  return {
    ...nodeKey(RUN_ID, nodeId),
    runId: RUN_ID,
    nodeId,
    attempt: status === undefined ? 0 : 1,
    fence: status === undefined ? 0 : 1,
    expiresAt: 1_800_000_000,
    ...(status === undefined ? {} : { status, token: '01JTOKEN', startedAt: '2026-01-01T12:00:01.000Z' }),
    ...(status === 'RUNNING' ? { leaseUntil: '2026-01-01T12:05:31.000Z' } : {}),
    ...extra,
  };
}

import { randomUUID } from 'node:crypto';
import { monotonicFactory } from 'ulid';
import type { RunRecord } from '../../shared/ports/run-store.ts';

/** Fixtures of the run store contract suites. */
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

import {
  ACTIVE_RUN_STATUSES,
  type ErrorInfo,
  type RunChange,
  type RunCondition,
  type RunRecord,
  type RunStatus,
  RunStoreError,
  type RunStoreRuns,
} from '../../ports/run-store.ts';
import { assertItemSize, clone, type Mutable } from './run-store-values.ts';

/** The memory run store's run items, inputs and idempotency keys. */
export class MemoryRuns implements RunStoreRuns {
  private readonly runs = new Map<string, RunRecord>();
  private readonly inputs = new Map<string, unknown>();
  private readonly idempotency = new Map<string, string>();

  /** Every run as stored (not copied: the listings copy what they return). */
  all(): Iterable<RunRecord> {
    return this.runs.values();
  }

  async createRun(run: RunRecord, inputs: unknown): Promise<{ run: RunRecord; created: boolean }> {
    const idempotencyKey = run.idempotencyKey && `${run.tenant}\u0000${run.idempotencyKey}`;
    const existing = idempotencyKey ? this.idempotency.get(idempotencyKey) : undefined;
    if (existing !== undefined) {
      const found = this.runs.get(existing);
      if (found) return { run: clone(found), created: false };
    }
    if (this.runs.has(run.runId))
      throw new RunStoreError(`cannot create run ${run.runId}: it already exists`);
    this.runs.set(run.runId, clone(run));
    this.inputs.set(run.runId, clone(inputs));
    if (idempotencyKey) this.idempotency.set(idempotencyKey, run.runId);
    return { run: clone(run), created: true };
  }

  async getRun(runId: string): Promise<RunRecord | undefined> {
    return clone(this.runs.get(runId));
  }

  async getInputs(runId: string): Promise<unknown> {
    return clone(this.inputs.get(runId));
  }

  async updateRun(
    runId: string,
    ifStatus: readonly RunStatus[],
    change: RunChange & { readonly updatedAt: string },
    when: RunCondition = {},
  ): Promise<RunRecord | undefined> {
    const next = changedRun(this.runs.get(runId), ifStatus, clone(change), when);
    if (!next) return undefined;
    assertItemSize(next, `run ${runId}`);
    this.runs.set(runId, next);
    return clone(next);
  }

  async markProgress(runId: string, at: string, ifBefore: string): Promise<void> {
    const run = this.runs.get(runId);
    if (!run || (run.progressAt !== undefined && run.progressAt >= ifBefore)) return;
    this.runs.set(runId, { ...run, progressAt: at });
  }

  async recordFailure(runId: string, error: ErrorInfo, updatedAt: string): Promise<void> {
    const run = this.runs.get(runId);
    if (!run) return;
    this.runs.set(runId, { ...run, failed: true, error: run.error ?? clone(error), updatedAt });
  }
}

/**
 * `updateRun`'s condition and change on a copy of `run`: the run after the change, or undefined
 * when the condition fails (or there is no run). Does not copy `change`'s values. Shared with the
 * SQLite adapter.
 */
export function changedRun(
  run: RunRecord | undefined,
  ifStatus: readonly RunStatus[],
  change: RunChange & { readonly updatedAt: string },
  when: RunCondition = {},
): RunRecord | undefined {
  if (!run || !ifStatus.includes(run.status)) return undefined;
  if (when.control === 'none' && run.control !== undefined) return undefined;
  // A run with a pending control only ends through that control (see RunChange).
  const ends = change.status !== undefined && !ACTIVE_RUN_STATUSES.includes(change.status);
  if (ends && change.control === undefined && !change.remove?.includes('control') && run.control) {
    return undefined;
  }
  if (
    typeof when.control === 'object' &&
    (run.control?.action !== when.control.action || run.control.epoch !== when.control.epoch)
  ) {
    return undefined;
  }
  const { remove, ...fields } = change;
  const next: Mutable<RunRecord> = { ...run, ...fields };
  for (const field of remove ?? []) delete next[field];
  return next;
}

import type { ControlRef, RunControl, RunRecord, RunStatus } from '../ports/run-store.ts';
import type { EngineContext } from './context.ts';
import { encodeControlMessage } from './messages.ts';

/** Node writes in flight at once while a control works through a run. */
export const CONTROL_CONCURRENCY = 32;
/** Batches between two progress records on the run item (and at the end of a slice). */
const BATCHES_PER_RECORD = 8;

/**
 * How much a control may do in one go: until a time (the worker's remaining time) and at most a
 * number of node writes. A control that runs out of either records its progress and is continued
 * by a control message, the sweeper, or the next call of the same control.
 */
export interface Pace {
  /** Epoch ms after which no new batch starts. */
  readonly until?: number;
  /** Node writes at most. */
  readonly maxWrites?: number;
}

/**
 * What a slice of a control achieved: `done`; `more` (go on at once, with a control message);
 * `wait` (nothing to do until a running node ends or its lease does: the sweeper comes back);
 * `gone` (the run no longer has this control).
 */
export type ControlProgress = 'done' | 'more' | 'wait' | 'gone';

export const refOf = (control: RunControl): ControlRef => ({ action: control.action, epoch: control.epoch });

/**
 * Writes `items` with `write`, CONTROL_CONCURRENCY at a time, within `pace`; after each batch it
 * records the progress on the run (conditional on the control still pending). Returns how many
 * were written, and `gone` when the control is no longer the run's (cancelled meanwhile).
 */
export async function writePaced<T>(
  cx: EngineContext,
  run: RunRecord & { readonly control: RunControl },
  status: RunStatus,
  items: readonly T[],
  alreadyDone: number,
  pace: Pace,
  write: (item: T) => Promise<unknown>,
): Promise<{ readonly written: number; readonly outcome: ControlProgress }> {
  let written = 0;
  let batches = 0;
  const maxWrites = pace.maxWrites ?? Number.POSITIVE_INFINITY;
  const record = async () => {
    const control: RunControl = { ...run.control, done: alreadyDone + written };
    const recorded = await cx.runs.updateRun(
      run.runId,
      [status],
      { status, control, updatedAt: cx.iso() },
      { control: refOf(run.control) },
    );
    return recorded !== undefined;
  };
  for (let start = 0; start < items.length; start = written) {
    const overTime = pace.until !== undefined && cx.now() >= pace.until;
    if (written >= maxWrites || overTime) {
      return { written, outcome: (await record()) ? 'more' : 'gone' };
    }
    const batch = items.slice(start, start + Math.min(CONTROL_CONCURRENCY, maxWrites - written));
    await Promise.all(batch.map(write));
    written += batch.length;
    batches += 1;
    // Also the check that the control is still the run's: a cancel meanwhile stops a retry here.
    if (batches % BATCHES_PER_RECORD === 0 && !(await record())) return { written, outcome: 'gone' };
  }
  return { written, outcome: 'done' };
}

/** Sends the message that continues `control` in the background (on the default pool). */
export async function sendControl(cx: EngineContext, runId: string, control: RunControl): Promise<void> {
  await cx.deps.queue.send([
    { body: encodeControlMessage({ runId, action: control.action, epoch: control.epoch }) },
  ]);
}

/** One background slice: the worker's remaining time (or `controlSliceMs`) and `controlSliceNodes`. */
export function slicePace(cx: EngineContext, remainingMs?: number): Pace {
  const sliceMs =
    remainingMs === undefined
      ? cx.settings.controlSliceMs
      : Math.min(cx.settings.controlSliceMs, remainingMs - cx.settings.handBackMarginMs);
  return { until: cx.now() + Math.max(0, sliceMs), maxWrites: cx.settings.controlSliceNodes };
}

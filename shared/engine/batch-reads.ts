import type { RunRecord } from '../ports/run-store.ts';

/**
 * The run reads of one received batch of messages: messages of the same run handled together
 * share one read of its run item instead of one each (a fan-out's batch of 10 messages makes one
 * read, not 10). Make one per batch, after the receive, and pass it with every message of the
 * batch (`StepOptions.reads`).
 *
 * Why only within a batch, and only while the read is in flight: what a worker checks before it
 * claims a node (the run's status, epoch, deadline, and whether it is failing) must be read after
 * the message was received. A node whose message was sent after a cancel (a child released by a
 * parent that was still running when the run was cancelled) has no item the cancel could mark,
 * so only a read made after its message arrived can stop it; a view cached across batches could
 * be older than the cancel and start it. A read shared here was issued after the batch was
 * received, so it is as fresh as one read per message; and it is forgotten once it resolves, so a
 * message handled later (or a second look within a handler) reads again.
 * @example
 * const reads = new BatchReads();
 * await Promise.all(batch.map((m) => engine.handleMessage(m.body, { reads })));
 */
export class BatchReads {
  private readonly inFlight = new Map<string, Promise<RunRecord | undefined>>();

  /** The run, from the read of it in flight for this batch, else from `read` (then shared). */
  run(
    runId: string,
    read: (runId: string) => Promise<RunRecord | undefined>,
  ): Promise<RunRecord | undefined> {
    const pending = this.inFlight.get(runId);
    if (pending !== undefined) return pending;
    const started = read(runId).finally(() => this.inFlight.delete(runId));
    this.inFlight.set(runId, started);
    return started;
  }
}

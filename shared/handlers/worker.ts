import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { RunEngine } from '../engine/run-engine.ts';
import type { Queue } from '../ports/queue.ts';

export interface WorkerDeps {
  readonly engine: RunEngine;
  /** For handing a message back with a precise delay (ChangeMessageVisibility). */
  readonly queue: Queue;
}

/** Thrown for a record to redeliver, so the batch utility reports it in `batchItemFailures`. */
class RedeliverLater extends Error {
  constructor(afterSeconds: number) {
    super(`handed back for redelivery in ${afterSeconds} s`);
    this.name = 'RedeliverLater';
  }
}

/**
 * The engine worker's Lambda handler: each SQS record is one node message, handled concurrently
 * through Powertools' batch utility; records to redeliver (the node's lease is still held
 * elsewhere, or the store was unreachable) come back in `batchItemFailures`, the others are
 * deleted by Lambda. The Lambda's remaining time bounds each attempt, so an unfinished node is
 * handed back instead of being lost when the function times out.
 * @example export const handler = createWorkerHandler({ engine, queue });
 */
export function createWorkerHandler(deps: WorkerDeps) {
  return async (
    event: SQSEvent,
    context?: Pick<Context, 'getRemainingTimeInMillis'>,
  ): Promise<SQSBatchResponse> => {
    const processor = new BatchProcessor(EventType.SQS);
    const handleRecord = async (record: SQSRecord) => {
      const remainingMs = context?.getRemainingTimeInMillis();
      const result = await deps.engine.handleMessage(
        record.body,
        remainingMs === undefined ? {} : { remainingMs },
      );
      if (result.kind === 'retry') {
        await deps.queue.changeVisibility(record.receiptHandle, result.afterSeconds);
        throw new RedeliverLater(result.afterSeconds);
      }
    };
    return processPartialResponse(event, handleRecord, processor, { throwOnFullBatchFailure: false });
  };
}

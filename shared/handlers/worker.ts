import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { BatchReads } from '../engine/batch-reads.ts';
import { type DeliveryDeps, deliverMessage } from '../engine/delivery.ts';
import type { ReceivedMessage } from '../ports/queue.ts';

/** The engine, its own pool queue, and how to log, count and classify errors (`DeliveryDeps`). */
export type WorkerDeps = DeliveryDeps;

/** Thrown for a record to redeliver, so the batch utility reports it in `batchItemFailures`. */
class RedeliverLater extends Error {
  constructor(afterSeconds: number) {
    super(`handed back for redelivery in ${afterSeconds} s`);
    this.name = 'RedeliverLater';
  }
}

/**
 * The engine worker's Lambda handler: each SQS record is one node message, handled concurrently
 * through Powertools' batch utility and settled by `deliverMessage` (the one delivery path of
 * every runtime): records to redeliver come back in `batchItemFailures`, the others are deleted
 * by Lambda. The records of one run in the batch share one read of it (`BatchReads`). The
 * Lambda's remaining time bounds each attempt, so an unfinished node is handed back instead of
 * being lost when the function times out. Anything the batch utility caught other than a
 * redelivery is logged.
 * @example export const handler = createWorkerHandler({ engine, queue, isTransient, log });
 */
export function createWorkerHandler(deps: WorkerDeps) {
  return async (
    event: SQSEvent,
    context?: Pick<Context, 'getRemainingTimeInMillis'>,
  ): Promise<SQSBatchResponse> => {
    const processor = new BatchProcessor(EventType.SQS);
    const reads = new BatchReads();
    const handleRecord = async (record: SQSRecord) => {
      const remainingMs = context?.getRemainingTimeInMillis();
      const delivery = await deliverMessage(
        deps,
        receivedOf(record),
        remainingMs === undefined ? { reads } : { remainingMs, reads },
      );
      if (delivery.kind === 'redeliver') throw new RedeliverLater(delivery.afterSeconds);
    };
    const response = await processPartialResponse(event, handleRecord, processor, {
      throwOnFullBatchFailure: false,
    });
    for (const error of processor.errors) {
      if (!(error instanceof RedeliverLater))
        deps.log?.('error', 'a record failed in the batch utility', { error });
    }
    return response;
  };
}

function receivedOf(record: SQSRecord): ReceivedMessage {
  const group = (record.attributes as { MessageGroupId?: string }).MessageGroupId;
  return {
    id: record.messageId,
    body: record.body,
    receipt: record.receiptHandle,
    receiveCount: Number(record.attributes.ApproximateReceiveCount ?? 1),
    ...(group ? { group } : {}),
  };
}

/**
 * Local mode's ready queue on fauxqs, fair between tenants. On AWS the ready queue is an SQS fair
 * queue (the tenant is the message group id); fauxqs accepts a group id and ignores it, so here
 * the fairness comes from a `FairQueue`: `<name>` takes messages without a tenant, and
 * `<name>-<bucket>` (`skein-ready-00`..`skein-ready-15`) each bucket of tenants, made on first use
 * with the same attributes as `<name>` (visibility timeout, redrive to the same dead-letter queue).
 */
import { GetQueueAttributesCommand, type QueueAttributeName, type SQSClient } from '@aws-sdk/client-sqs';
import { SqsQueue } from '../../shared/adapters/aws/sqs-queue.ts';
import { FairQueue } from '../../shared/adapters/fair-queue.ts';
import type { QueueDepth } from '../../shared/adapters/memory/queue.ts';
import { createQueue } from './fauxqs.ts';

export interface FairReadyQueueOptions {
  readonly client: SQSClient;
  /** The default sub-queue's name, and the other sub-queues' prefix. @default 'skein-ready' */
  readonly name?: string;
  /** Given to every sub-queue, e.g. `VisibilityTimeout` and `RedrivePolicy`. @default {} */
  readonly attributes?: Partial<Record<QueueAttributeName, string>>;
  /** Buckets tenants are hashed into (`FairQueue`'s `buckets`); 1 is a single line. @default 16 */
  readonly buckets?: number;
}

export interface FairReadyQueue {
  readonly queue: FairQueue;
  /** The sub-queue of messages without a tenant: `<name>`. */
  readonly defaultUrl: string;
  /** Every sub-queue made so far, the default first. */
  urls(): readonly string[];
  /** Messages in every sub-queue, summed as SQS approximates them. */
  depth(): Promise<QueueDepth>;
}

/**
 * Creates the default sub-queue now and the others as tenants send.
 * @example
 * const ready = await createFairReadyQueue({ client, attributes: { VisibilityTimeout: '60' } });
 * await ready.queue.send([{ body, group: 'acme' }]); // lands in skein-ready-13
 */
export async function createFairReadyQueue(options: FairReadyQueueOptions): Promise<FairReadyQueue> {
  const { client } = options;
  const name = options.name ?? 'skein-ready';
  const attributes = options.attributes ?? {};
  const defaultUrl = await createQueue(client, name, attributes);
  const urls = [defaultUrl];
  const queue = new FairQueue({
    defaultQueue: new SqsQueue({ client, queueUrl: defaultUrl }),
    subQueue: async (bucket) => {
      const queueUrl = await createQueue(client, `${name}-${bucket}`, attributes);
      urls.push(queueUrl);
      return new SqsQueue({ client, queueUrl });
    },
    ...(options.buckets === undefined ? {} : { buckets: options.buckets }),
  });
  return {
    queue,
    defaultUrl,
    urls: () => [...urls],
    depth: async () => {
      const depths = await Promise.all(urls.map((url) => depthOf(client, url)));
      return depths.reduce((sum, one) => ({
        visible: sum.visible + one.visible,
        inFlight: sum.inFlight + one.inFlight,
        delayed: sum.delayed + one.delayed,
      }));
    },
  };
}

async function depthOf(client: SQSClient, queueUrl: string): Promise<QueueDepth> {
  const { Attributes = {} } = await client.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: [
        'ApproximateNumberOfMessages',
        'ApproximateNumberOfMessagesNotVisible',
        'ApproximateNumberOfMessagesDelayed',
      ],
    }),
  );
  return {
    visible: Number(Attributes.ApproximateNumberOfMessages ?? 0),
    inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0),
    delayed: Number(Attributes.ApproximateNumberOfMessagesDelayed ?? 0),
  };
}

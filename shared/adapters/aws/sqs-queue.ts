/**
 * Queue on one standard SQS queue.
 * - `send` validates every message first (nothing is sent if one delay is out of range), then
 *   sends SendMessageBatch requests of at most 10 in parallel. Entry ids are the message's index in
 *   the `send` call (`m0`, `m1`, ...), so a `QueueSendError` names exactly which ones failed;
 *   the others were accepted and are not retried here (the caller decides; duplicates are safe).
 * - `receive` asks for `ApproximateReceiveCount`, which becomes `receiveCount`.
 * - A missing queue becomes a `QueueNotFoundError` naming the URL; other SDK errors pass through.
 */
import {
  type BatchResultErrorEntry,
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import {
  assertReceiveOptions,
  assertSendable,
  assertVisibility,
  MAX_BATCH,
  type Queue,
  type QueueMessage,
  QueueNotFoundError,
  QueueSendError,
  type ReceivedMessage,
  type ReceiveOptions,
} from '../../ports/queue.ts';

export interface SqsQueueProps {
  readonly client: SQSClient;
  readonly queueUrl: string;
}

const MISSING_QUEUE = new Set(['QueueDoesNotExist', 'AWS.SimpleQueueService.NonExistentQueue']);

export class SqsQueue implements Queue {
  private readonly client: SQSClient;
  readonly queueUrl: string;

  constructor(props: SqsQueueProps) {
    this.client = props.client;
    this.queueUrl = props.queueUrl;
  }

  async send(messages: readonly QueueMessage[]): Promise<void> {
    assertSendable(messages);
    const batches: { index: number; message: QueueMessage }[][] = [];
    messages.forEach((message, index) => {
      if (index % MAX_BATCH === 0) batches.push([]);
      batches.at(-1)?.push({ index, message });
    });
    const results = await Promise.all(
      batches.map((batch) =>
        this.call(() =>
          this.client.send(
            new SendMessageBatchCommand({
              QueueUrl: this.queueUrl,
              Entries: batch.map(({ index, message }) => ({
                Id: `m${index}`,
                MessageBody: message.body,
                ...(message.delaySeconds === undefined ? {} : { DelaySeconds: message.delaySeconds }),
                // On a standard queue a message group id makes it an SQS fair queue: a tenant
                // with a backlog does not delay the others' messages.
                ...(message.group ? { MessageGroupId: message.group } : {}),
              })),
            }),
          ),
        ),
      ),
    );
    const failed = results.flatMap((result) => (result.Failed ?? []).map(failure));
    if (failed.length > 0) throw new QueueSendError(failed, messages.length);
  }

  async receive(options: ReceiveOptions = {}): Promise<ReceivedMessage[]> {
    assertReceiveOptions(options);
    const result = await this.call(() =>
      this.client.send(
        new ReceiveMessageCommand({
          QueueUrl: this.queueUrl,
          MaxNumberOfMessages: options.max ?? 10,
          WaitTimeSeconds: options.waitSeconds ?? 0,
          ...(options.visibilitySeconds === undefined
            ? {}
            : { VisibilityTimeout: options.visibilitySeconds }),
          MessageSystemAttributeNames: ['ApproximateReceiveCount', 'MessageGroupId'],
        }),
      ),
    );
    return (result.Messages ?? []).map((message) => ({
      id: message.MessageId ?? '',
      body: message.Body ?? '',
      receipt: message.ReceiptHandle ?? '',
      receiveCount: Number(message.Attributes?.ApproximateReceiveCount ?? 1),
      ...(message.Attributes?.MessageGroupId ? { group: message.Attributes.MessageGroupId } : {}),
    }));
  }

  async delete(receipt: string): Promise<void> {
    await this.call(() =>
      this.client.send(new DeleteMessageCommand({ QueueUrl: this.queueUrl, ReceiptHandle: receipt })),
    );
  }

  async changeVisibility(receipt: string, seconds: number): Promise<void> {
    assertVisibility(seconds);
    await this.call(() =>
      this.client.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: this.queueUrl,
          ReceiptHandle: receipt,
          VisibilityTimeout: seconds,
        }),
      ),
    );
  }

  private async call<T>(request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      if (isMissingQueue(error)) throw new QueueNotFoundError(this.queueUrl, { cause: error });
      throw error;
    }
  }
}

function failure(entry: BatchResultErrorEntry) {
  return {
    index: Number((entry.Id ?? '').slice(1)),
    code: entry.Code ?? 'Unknown',
    message: entry.Message ?? '',
  };
}

function isMissingQueue(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { name, Code } = error as { name?: unknown; Code?: unknown };
  return MISSING_QUEUE.has(String(name)) || MISSING_QUEUE.has(String(Code));
}

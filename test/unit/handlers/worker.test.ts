import type { SQSEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { MemoryRunStore } from '../../../shared/adapters/memory/run-store.ts';
import { createWorkerHandler } from '../../../shared/handlers/worker.ts';
import type { RunRecord } from '../../../shared/ports/run-store.ts';
import { WorkflowHarness } from '../../../shared/testing/workflow-harness.ts';
import { lambdaContext, sqsRecord } from './fixtures.ts';

/** A run store whose reads of one run fail, as DynamoDB does when throttled or unreachable. */
class FailingRunStore extends MemoryRunStore {
  constructor(private readonly failingRunId: string) {
    super();
  }

  override async getRun(runId: string): Promise<RunRecord | undefined> {
    if (runId === this.failingRunId) throw new Error('ProvisionedThroughputExceededException');
    return super.getRun(runId);
  }
}

describe('the worker handler on an SQS event', () => {
  it('reports exactly the record whose run cannot be read and handles the others', async () => {
    // Prepare
    const harness = new WorkflowHarness({ runs: new FailingRunStore('01POISON') });
    await harness.publish({ id: 'pair', nodes: { a: { type: 'noop' }, b: { type: 'noop' } } });
    const runId = await harness.start('pair');
    const messages = await harness.queue.receive({ max: 10 });
    const poison = sqsRecord('5a1f9c2e-poison', JSON.stringify({ r: '01POISON', n: 'a', t: 'tok-1' }), 3);
    const event: SQSEvent = {
      Records: [
        sqsRecord(messages[0]?.id ?? '', messages[0]?.body ?? ''),
        poison,
        sqsRecord(messages[1]?.id ?? '', messages[1]?.body ?? ''),
      ],
    };
    const handler = createWorkerHandler({ engine: harness.engine, queue: harness.queue });

    // Act
    const response = await handler(event, lambdaContext(55_000));
    for (const message of messages) await harness.queue.delete(message.receipt);
    await harness.drain();

    // Assess
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: '5a1f9c2e-poison' }]);
    expect((await harness.view(runId)).status).toBe('SUCCEEDED');
  });

  it('drops a body that is not a Skein message instead of retrying it forever', async () => {
    // Prepare
    const harness = new WorkflowHarness();
    const handler = createWorkerHandler({ engine: harness.engine, queue: harness.queue });

    // Act
    const response = await handler({ Records: [sqsRecord('m-1', 'hello')] }, lambdaContext());

    // Assess
    expect(response.batchItemFailures).toEqual([]);
  });
});

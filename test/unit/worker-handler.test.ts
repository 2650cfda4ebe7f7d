import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { ExecutorRegistry } from '../../shared/executors/registry.ts';
import { createSweeperHandler } from '../../shared/handlers/sweeper.ts';
import { createWorkerHandler } from '../../shared/handlers/worker.ts';
import type { ExecutionResult, Executor } from '../../shared/ports/executor.ts';
import { WorkflowHarness } from '../../shared/testing/workflow-harness.ts';

function eventOf(bodies: readonly { id: string; body: string; receipt?: string }[]): SQSEvent {
  const records = bodies.map(
    ({ id, body, receipt }) =>
      ({
        messageId: id,
        receiptHandle: receipt ?? `receipt-${id}`,
        body,
        attributes: {} as SQSRecord['attributes'],
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:skein-ready',
        awsRegion: 'us-east-1',
      }) satisfies SQSRecord,
  );
  return { Records: records };
}

/** An executor that resolves only when released, to keep a node RUNNING. */
class GateExecutor implements Executor {
  readonly type = 'noop';
  release: () => void = () => undefined;
  private onStart: () => void = () => undefined;
  readonly started = new Promise<void>((resolve) => {
    this.onStart = resolve;
  });
  execute(): Promise<ExecutionResult> {
    this.onStart();
    return new Promise((resolve) => {
      this.release = () => resolve({ ok: true, output: 'done' });
    });
  }
}

describe('the worker handler', () => {
  it('handles every record of a batch and reports no failure when all are done', async () => {
    // Prepare
    const harness = new WorkflowHarness();
    await harness.publish({ id: 'pair', nodes: { a: { type: 'noop' }, b: { type: 'noop' } } });
    const runId = await harness.start('pair');
    const messages = await harness.queue.receive({ max: 10 });
    const handler = createWorkerHandler({ engine: harness.engine, queue: harness.queue });

    // Act
    const response = await handler(
      eventOf(messages.map((m) => ({ id: m.id, body: m.body, receipt: m.receipt }))),
    );
    for (const message of messages) await harness.queue.delete(message.receipt);
    await harness.drain();

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect((await harness.view(runId)).status).toBe('SUCCEEDED');
  });

  it('drops a body that is not a Skein message instead of redelivering it forever', async () => {
    // Prepare
    const harness = new WorkflowHarness();
    const handler = createWorkerHandler({ engine: harness.engine, queue: harness.queue });

    // Act
    const response = await handler(eventOf([{ id: 'junk', body: 'not json' }]));

    // Assess
    expect(response.batchItemFailures).toEqual([]);
  });

  it('reports a duplicate of a node still running elsewhere as a batch item failure', async () => {
    // Prepare
    const gate = new GateExecutor();
    const harness = new WorkflowHarness({ executors: new ExecutorRegistry().register(gate) });
    await harness.publish({ id: 'one', nodes: { a: { type: 'noop', timeout: '30s' } } });
    await harness.start('one');
    const [message] = await harness.queue.receive({ max: 1 });
    if (!message) throw new Error('no message');
    const handler = createWorkerHandler({ engine: harness.engine, queue: harness.queue });
    const first = handler(eventOf([{ id: 'first', body: message.body, receipt: message.receipt }]));
    await gate.started;

    // Act
    const second = await handler(eventOf([{ id: 'again', body: message.body, receipt: message.receipt }]));
    gate.release();

    // Assess
    expect(second.batchItemFailures).toEqual([{ itemIdentifier: 'again' }]);
    expect((await first).batchItemFailures).toEqual([]);
  });

  it('reports a record whose store call fails, and keeps the others', async () => {
    // Prepare
    const harness = new WorkflowHarness();
    await harness.publish({ id: 'one', nodes: { a: { type: 'noop' } } });
    await harness.start('one');
    const [message] = await harness.queue.receive({ max: 1 });
    if (!message) throw new Error('no message');
    const runs = harness.runs as { getRun: (runId: string) => Promise<unknown> };
    const original = runs.getRun.bind(harness.runs);
    runs.getRun = async (runId: string) => {
      if (runId === 'broken') throw new Error('store unreachable');
      return original(runId);
    };
    const handler = createWorkerHandler({ engine: harness.engine, queue: harness.queue });

    // Act
    const response = await handler(
      eventOf([
        { id: 'good', body: message.body, receipt: message.receipt },
        { id: 'bad', body: JSON.stringify({ r: 'broken', n: 'a', t: 'x' }) },
      ]),
    );

    // Assess
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'bad' }]);
  });
});

describe('the sweeper handler', () => {
  it('returns what it swept', async () => {
    // Prepare
    const harness = new WorkflowHarness();
    await harness.publish({ id: 'one', nodes: { a: { type: 'noop' } } });
    await harness.run('one');

    // Act
    const report = await createSweeperHandler({ engine: harness.engine })();

    // Assess
    expect(report).toEqual({ runsChecked: 0, timedOut: 0, requeued: 0, controls: 0, released: 0, errors: 0 });
  });
});

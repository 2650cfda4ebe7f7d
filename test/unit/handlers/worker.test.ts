import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { isTransientAwsError } from '../../../shared/adapters/aws/transient-errors.ts';
import { MemoryQueue } from '../../../shared/adapters/memory/queue.ts';
import { MemoryRunStore } from '../../../shared/adapters/memory/run-store.ts';
import { deliverMessage, ERROR_REDELIVERY_SECONDS, putBackDelay } from '../../../shared/engine/delivery.ts';
import { createWorkerHandler } from '../../../shared/handlers/worker.ts';
import { FakeClock } from '../../../shared/ports/clock.ts';
import type { ExecutionResult, Executor } from '../../../shared/ports/executor.ts';
import { ExecutorRegistry } from '../../../shared/ports/executors.ts';
import type { RunRecord } from '../../../shared/ports/run-store.ts';
import { WorkflowHarness } from '../../../shared/testing/workflow-harness.ts';
import { lambdaContext, sqsRecord } from './fixtures.ts';

/** DynamoDB's throttling error as the SDK throws it. */
function throttled(): Error {
  return Object.assign(new Error('Rate of requests exceeds the allowed throughput.'), {
    name: 'ProvisionedThroughputExceededException',
    $fault: 'client',
    $metadata: { httpStatusCode: 400 },
  });
}

/** A run store whose reads of one run fail (all of them, or while `failing` is set). */
class FailingRunStore extends MemoryRunStore {
  failing = true;
  constructor(
    private readonly failingRunId: string | 'any',
    private readonly error: () => Error,
  ) {
    super();
  }

  override async getRun(runId: string): Promise<RunRecord | undefined> {
    if (this.failing && (this.failingRunId === 'any' || runId === this.failingRunId)) throw this.error();
    return super.getRun(runId);
  }
}

/** A run store that counts its reads of run items. */
class CountingRunStore extends MemoryRunStore {
  reads = 0;
  override getRun(runId: string): Promise<RunRecord | undefined> {
    this.reads += 1;
    return super.getRun(runId);
  }
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
      this.release = () => resolve({ kind: 'succeeded', output: 'done' });
    });
  }
}

const recordOf = (message: { id: string; body: string; receipt: string }): SQSRecord => ({
  ...sqsRecord(message.id, message.body),
  receiptHandle: message.receipt,
});

/** A harness whose queue moves a message to a dead-letter queue at its 5th receive, as deployed. */
function harnessWithDeadLetters(runs: MemoryRunStore) {
  const deadLetter = new MemoryQueue();
  const clock = new FakeClock();
  const queue = new MemoryQueue({ clock, deadLetter, maxReceiveCount: 5, visibilitySeconds: 60 });
  return { harness: new WorkflowHarness({ runs, clock, queue }), queue, deadLetter };
}

describe('the worker handler on an SQS event', () => {
  it('handles every record of a batch and reports no failure when all are done', async () => {
    // Prepare
    const harness = new WorkflowHarness();
    await harness.publish({ id: 'pair', nodes: { a: { type: 'noop' }, b: { type: 'noop' } } });
    const runId = await harness.start('pair');
    const messages = await harness.queue.receive({ max: 10 });
    const handler = createWorkerHandler({ engine: harness.engine, queue: harness.queue, random: () => 0.5 });

    // Act
    const response = await handler({ Records: messages.map(recordOf) }, lambdaContext());
    for (const message of messages) await harness.queue.delete(message.receipt);
    await harness.drain();

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect((await harness.view(runId)).status).toBe('SUCCEEDED');
  });

  it('reads a run once for the records of it in one batch, and again for the next batch', async () => {
    // Prepare
    const runs = new CountingRunStore();
    const harness = new WorkflowHarness({ runs });
    const twelve = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`n${i}`, { type: 'noop' }]));
    await harness.publish({ id: 'twelve', nodes: twelve });
    const runId = await harness.start('twelve');
    const handler = createWorkerHandler({ engine: harness.engine, queue: harness.queue, random: () => 0.5 });
    const first = await harness.queue.receive({ max: 10 });
    const second = await harness.queue.receive({ max: 10 });

    // Act
    runs.reads = 0;
    await handler({ Records: first.map(recordOf) }, lambdaContext());
    const readsOfFirst = runs.reads;
    runs.reads = 0;
    await handler({ Records: second.map(recordOf) }, lambdaContext());

    // Assess
    expect([first.length, second.length]).toEqual([10, 2]);
    // One read of the run per batch for its node messages (finishing a node reads nothing more);
    // the second batch also ends the run, which reads it once more to end it.
    expect([readsOfFirst, runs.reads]).toEqual([1, 2]);
    for (const message of [...first, ...second]) await harness.queue.delete(message.receipt);
    await harness.drain();
    expect((await harness.view(runId)).progress.byStatus).toEqual({ SUCCEEDED: 12 });
  });

  it('reports a duplicate of a node still running elsewhere as a batch item failure', async () => {
    // Prepare
    const gate = new GateExecutor();
    const harness = new WorkflowHarness({ executors: new ExecutorRegistry().register(gate) });
    await harness.publish({ id: 'one', nodes: { a: { type: 'noop', timeout: '30s' } } });
    await harness.start('one');
    const [message] = await harness.queue.receive({ max: 1 });
    if (!message) throw new Error('no message');
    const handler = createWorkerHandler({ engine: harness.engine, queue: harness.queue, random: () => 0.5 });
    const first = handler({ Records: [{ ...recordOf(message), messageId: 'first' }] }, lambdaContext());
    await gate.started;

    // Act
    const second = await handler(
      { Records: [{ ...recordOf(message), messageId: 'again' }] },
      lambdaContext(),
    );
    gate.release();

    // Assess
    expect(second.batchItemFailures).toEqual([{ itemIdentifier: 'again' }]);
    expect((await first).batchItemFailures).toEqual([]);
  });

  it('reports exactly the record that failed with a non-transient error, and logs it with its run and node', async () => {
    // Prepare
    const runs = new FailingRunStore('01POISON', () => new Error('a bug'));
    const harness = new WorkflowHarness({ runs });
    await harness.publish({ id: 'pair', nodes: { a: { type: 'noop' }, b: { type: 'noop' } } });
    const runId = await harness.start('pair');
    const messages = await harness.queue.receive({ max: 10 });
    const logs: { level: string; message: string; details: Record<string, unknown> }[] = [];
    const event: SQSEvent = {
      Records: [
        recordOf(messages[0] ?? { id: '', body: '', receipt: '' }),
        sqsRecord('5a1f9c2e-poison', JSON.stringify({ r: '01POISON', n: 'a', t: 'tok-1' }), 3),
        recordOf(messages[1] ?? { id: '', body: '', receipt: '' }),
      ],
    };
    const handler = createWorkerHandler({
      engine: harness.engine,
      queue: harness.queue,
      random: () => 0.5,
      isTransient: isTransientAwsError,
      log: (level, message, details) => logs.push({ level, message, details: { ...details } }),
    });

    // Act
    const response = await handler(event, lambdaContext(55_000));
    for (const message of messages) await harness.queue.delete(message.receipt);
    await harness.drain();

    // Assess
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: '5a1f9c2e-poison' }]);
    expect((await harness.view(runId)).status).toBe('SUCCEEDED');
    expect(logs).toEqual([
      {
        level: 'error',
        message: expect.stringContaining('failed'),
        details: expect.objectContaining({
          messageId: '5a1f9c2e-poison',
          runId: '01POISON',
          nodeId: 'a',
          receiveCount: 3,
        }),
      },
    ]);
  });

  it('drops a body that is not a Skein message, logging and counting it, instead of retrying it forever', async () => {
    // Prepare
    const harness = new WorkflowHarness();
    const logs: unknown[] = [];
    const counted: string[] = [];
    const handler = createWorkerHandler({
      engine: harness.engine,
      queue: harness.queue,
      random: () => 0.5,
      log: (level, message, details) => logs.push({ level, message, details }),
      count: (name) => counted.push(name),
    });

    // Act
    const response = await handler({ Records: [sqsRecord('m-1', 'hello')] }, lambdaContext());

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(counted).toEqual(['BadMessage']);
    expect(logs).toEqual([
      {
        level: 'warn',
        message: expect.stringContaining('not a Skein message'),
        details: expect.objectContaining({ messageId: 'm-1', reason: 'the body is not JSON', body: 'hello' }),
      },
    ]);
  });
});

describe('deliverMessage on infrastructure errors', () => {
  it('puts a throttled message back with a growing delay, using no receive, and the run ends once the store recovers', async () => {
    // Prepare: every store read throttled; the queue sends to a dead-letter queue at the 5th receive
    const runs = new FailingRunStore('any', throttled);
    runs.failing = false;
    const { harness, queue, deadLetter } = harnessWithDeadLetters(runs);
    await harness.publish({ id: 'one', nodes: { a: { type: 'noop' } } });
    const runId = await harness.start('one');
    runs.failing = true;
    const counted: string[] = [];
    const deps = {
      engine: harness.engine,
      queue,
      isTransient: isTransientAwsError,
      count: (name: string) => counted.push(name),
      random: () => 1,
    };
    const delays: number[] = [];

    // Act: 12 deliveries while throttled, then the store recovers
    for (let delivery = 0; delivery < 12; delivery++) {
      const next = queue.nextVisibleAt();
      if (next !== undefined) harness.clock.set(Math.max(harness.clock.now(), next));
      const [message] = await queue.receive({ max: 1 });
      if (!message) throw new Error('the message was lost');
      const settled = await deliverMessage(deps, message);
      if (settled.kind === 'done') await queue.delete(message.receipt);
      delays.push(settled.kind === 'done' ? (settled.putBack ?? 0) : -1);
    }
    runs.failing = false;
    await harness.drain();

    // Assess
    expect(delays).toEqual([2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300, 300]);
    expect(counted).toEqual(Array(12).fill('PutBack'));
    expect(await deadLetter.receive({ max: 10 })).toEqual([]);
    expect((await harness.view(runId)).status).toBe('SUCCEEDED');
  });

  it('sends a message that fails with a non-transient error every time to the dead-letter queue after 5 receives, 30 s apart', async () => {
    // Prepare
    const runs = new FailingRunStore('any', () => new TypeError('Cannot read properties of undefined'));
    runs.failing = false;
    const { harness, queue, deadLetter } = harnessWithDeadLetters(runs);
    await harness.publish({ id: 'one', nodes: { a: { type: 'noop' } } });
    await harness.start('one');
    runs.failing = true;
    const deps = { engine: harness.engine, queue, isTransient: isTransientAwsError, random: () => 0.5 };
    const receivedAt: number[] = [];

    // Act
    for (;;) {
      const next = queue.nextVisibleAt();
      if (next === undefined) break;
      harness.clock.set(Math.max(harness.clock.now(), next));
      const [message] = await queue.receive({ max: 1 });
      if (!message) break;
      receivedAt.push(harness.clock.now());
      expect(await deliverMessage(deps, message)).toEqual({
        kind: 'redeliver',
        afterSeconds: ERROR_REDELIVERY_SECONDS,
      });
    }

    // Assess
    expect(receivedAt).toHaveLength(5);
    expect(receivedAt.slice(1).map((at, i) => at - (receivedAt[i] ?? 0))).toEqual(Array(4).fill(30_000));
    expect(await deadLetter.receive({ max: 10 })).toHaveLength(1);
  });

  it('hands the message back with the same delay when even the put-back cannot be sent', async () => {
    // Prepare
    const runs = new FailingRunStore('any', throttled);
    runs.failing = false;
    const harness = new WorkflowHarness({ runs });
    await harness.publish({ id: 'one', nodes: { a: { type: 'noop' } } });
    await harness.start('one');
    runs.failing = true;
    const [message] = await harness.queue.receive({ max: 1 });
    if (!message) throw new Error('no message');
    const visibility: number[] = [];
    const queue = {
      send: async () => {
        throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
      },
      receive: () => harness.queue.receive(),
      delete: (receipt: string) => harness.queue.delete(receipt),
      changeVisibility: async (_receipt: string, seconds: number) => {
        visibility.push(seconds);
      },
    };

    // Act
    const settled = await deliverMessage(
      { engine: harness.engine, queue, isTransient: isTransientAwsError, random: () => 0.5 },
      message,
    );

    // Assess
    expect(settled).toEqual({ kind: 'redeliver', afterSeconds: 1 });
    expect(visibility).toEqual([1]);
  });

  it('grows the put-back delay from 2 s to at most 5 minutes, jittered, never below 1 s', () => {
    expect([1, 2, 3, 9, 10, 50].map((n) => putBackDelay(n, () => 0.999_999))).toEqual([
      2, 4, 8, 300, 300, 300,
    ]);
    expect(putBackDelay(1, () => 0)).toBe(1);
    expect(putBackDelay(6, () => 0.5)).toBe(32);
  });

  it('classifies throttling, 5xx, 429, broken connections and $retryable as transient, and not a bug or a 4xx', () => {
    const transient = [
      throttled(),
      Object.assign(new Error('x'), { name: 'ThrottlingException' }),
      Object.assign(new Error('x'), { $metadata: { httpStatusCode: 503 } }),
      Object.assign(new Error('x'), { $metadata: { httpStatusCode: 429 } }),
      Object.assign(new Error('x'), { code: 'ECONNRESET' }),
      Object.assign(new Error('x'), { $retryable: {} }),
      new Error('wrapped', { cause: Object.assign(new Error('x'), { code: 'ETIMEDOUT' }) }),
    ];
    const permanent = [
      new TypeError('Cannot read properties of undefined'),
      Object.assign(new Error('x'), { name: 'ValidationException', $metadata: { httpStatusCode: 400 } }),
      Object.assign(new Error('x'), {
        name: 'ResourceNotFoundException',
        $metadata: { httpStatusCode: 400 },
      }),
      'a string',
      undefined,
    ];
    expect(transient.map((error) => isTransientAwsError(error))).toEqual(transient.map(() => true));
    expect(permanent.map((error) => isTransientAwsError(error))).toEqual(permanent.map(() => false));
  });
});

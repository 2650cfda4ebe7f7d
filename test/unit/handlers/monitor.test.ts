import { PublishBatchCommand, SNSClient } from '@aws-sdk/client-sns';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { SnsNotifier } from '../../../shared/adapters/aws/sns-notifier.ts';
import { createMonitorHandler, monitorMetrics } from '../../../shared/handlers/monitor.ts';
import type { NodeEventLevel } from '../../../shared/monitor/events.ts';
import type { RunContextLookup } from '../../../shared/monitor/run-context.ts';
import { FakeClock } from '../../../shared/ports/clock.ts';
import { streamRecord } from './fixtures.ts';
import { nodeAt, RUN_ID, runAt } from './run-items.ts';

const topicArn = 'arn:aws:sns:eu-west-1:123456789012:skein-events';
const sns = mockClient(SNSClient);
const ENDED = '2026-01-01T12:00:05.500Z';
const failure = { code: 'HTTP_500', message: 'upstream failed', nodeId: 'charge' };

/** The handler at a node-event level (`all` by default here, to see every mapping; AWS's default is `failures`). */
function setup(
  runContext?: RunContextLookup,
  { nodeEvents }: { nodeEvents?: NodeEventLevel } = { nodeEvents: 'all' },
) {
  const metrics = monitorMetrics('prod');
  const emitted: Record<string, unknown>[] = [];
  vi.spyOn(metrics, 'publishStoredMetrics').mockImplementation(() => {
    emitted.push(metrics.serializeMetrics() as unknown as Record<string, unknown>);
    metrics.clearMetrics();
    return metrics;
  });
  const logged: string[] = [];
  const handler = createMonitorHandler({
    notifier: new SnsNotifier({ client: new SNSClient({ region: 'eu-west-1' }), topicArn }),
    metrics,
    clock: new FakeClock(),
    log: (message) => logged.push(message),
    ...(runContext && { runContext }),
    ...(nodeEvents && { nodeEvents }),
  });
  return { handler, emitted, logged };
}

const published = () =>
  sns
    .commandCalls(PublishBatchCommand)
    .flatMap((call) => call.args[0].input.PublishBatchRequestEntries ?? []);

/** The four kinds of change of the brief: a run inserted, a node and the run ending, a TTL removal. */
const batch = (): DynamoDBStreamEvent => ({
  Records: [
    streamRecord({ eventName: 'INSERT', newItem: runAt('RUNNING') }),
    streamRecord({
      eventName: 'MODIFY',
      oldItem: nodeAt('charge', 'RUNNING'),
      newItem: nodeAt('charge', 'SUCCEEDED', {
        endedAt: '2026-01-01T12:00:03.000Z',
        outputJson: '{"ok":true}',
      }),
    }),
    streamRecord({
      eventName: 'MODIFY',
      oldItem: runAt('RUNNING'),
      newItem: runAt('FAILED', { failed: true, error: failure, endedAt: ENDED }),
    }),
    streamRecord({ eventName: 'REMOVE', oldItem: runAt('SUCCEEDED', { runId: 'OLD' }), ttl: true }),
  ],
});

beforeEach(() => {
  sns.reset();
  sns.on(PublishBatchCommand).resolves({ Successful: [], Failed: [] });
});

describe('the monitor handler on a DynamoDB stream batch', () => {
  it('publishes one SNS batch of the run and node events with filterable attributes', async () => {
    // Prepare
    const { handler } = setup();

    // Act
    const response = await handler(batch());

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(sns.commandCalls(PublishBatchCommand)).toHaveLength(1);
    const entries = published();
    expect(entries.map((entry) => JSON.parse(entry.Message ?? ''))).toEqual([
      {
        type: 'run.started',
        severity: 'info',
        tenant: 'acme',
        workflow: 'orders',
        version: '1.2.0',
        runId: RUN_ID,
        time: '2026-01-01T12:00:00.000Z',
      },
      {
        type: 'node.succeeded',
        severity: 'info',
        runId: RUN_ID,
        nodeId: 'charge',
        time: '2026-01-01T12:00:03.000Z',
        attempt: 1,
        durationMs: 2_000,
        tenant: 'acme',
        workflow: 'orders',
        version: '1.2.0',
      },
      {
        type: 'run.failed',
        severity: 'error',
        tenant: 'acme',
        workflow: 'orders',
        version: '1.2.0',
        runId: RUN_ID,
        time: ENDED,
        error: failure,
        durationMs: 5_500,
      },
    ]);
    expect(entries[2]?.MessageAttributes).toEqual({
      tenant: { DataType: 'String', StringValue: 'acme' },
      workflow: { DataType: 'String', StringValue: 'orders' },
      type: { DataType: 'String', StringValue: 'run.failed' },
      severity: { DataType: 'String', StringValue: 'error' },
    });
  });

  it('writes EMF metrics under the Skein namespace with the stage as the only dimension', async () => {
    // Prepare
    const { handler, emitted } = setup();

    // Act
    await handler(batch());

    // Assess
    expect(emitted).toHaveLength(1);
    const emf = emitted[0] ?? {};
    expect(emf).toMatchObject({
      stage: 'prod',
      RunsStarted: 1,
      RunsFailed: 1,
      NodesSucceeded: 1,
      NodeDuration: 2_000,
      RunDuration: 5_500,
    });
    expect(emf).not.toHaveProperty('service');
    const [directive] = (emf._aws as { CloudWatchMetrics: { Namespace: string; Dimensions: string[][] }[] })
      .CloudWatchMetrics;
    expect(directive).toMatchObject({ Namespace: 'Skein', Dimensions: [['stage']] });
  });

  it('reads the run of node events whose run item is not in the batch, once per run', async () => {
    // Prepare
    const lookup = vi.fn<RunContextLookup>(async () => ({
      tenant: 'acme',
      workflow: 'orders',
      version: '1.2.0',
    }));
    const { handler } = setup(lookup);
    const event: DynamoDBStreamEvent = {
      Records: ['a', 'b'].map((id) =>
        streamRecord({ eventName: 'MODIFY', oldItem: nodeAt(id, undefined), newItem: nodeAt(id, 'RUNNING') }),
      ),
    };

    // Act
    await handler(event);
    await handler(event);

    // Assess
    expect(lookup).toHaveBeenCalledTimes(1);
    expect(published().map((entry) => entry.MessageAttributes?.tenant?.StringValue)).toEqual([
      'acme',
      'acme',
      'acme',
      'acme',
    ]);
  });

  it('reports the record whose run cannot be read by its sequence number, and publishes the others', async () => {
    // Prepare
    const { handler, logged } = setup(async () => {
      throw new Error('ProvisionedThroughputExceededException');
    });
    const node = streamRecord({
      eventName: 'MODIFY',
      oldItem: nodeAt('x', 'RUNNING'),
      newItem: nodeAt('x', 'FAILED'),
    });
    const run = streamRecord({ eventName: 'INSERT', newItem: runAt('RUNNING', { runId: 'OTHER' }) });

    // Act
    const response = await handler({ Records: [run, node] });

    // Assess
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: node.dynamodb?.SequenceNumber }]);
    expect(published().map((entry) => entry.MessageAttributes?.type?.StringValue)).toEqual(['run.started']);
    expect(logged).toEqual(['skein monitor: reading a run for its node events failed']);
  });

  it('reports the records whose events SNS rejected, and counts metrics only before the first of them', async () => {
    // Prepare
    sns.on(PublishBatchCommand).resolves({
      Failed: [{ Id: 'e1', Code: 'InternalError', Message: 'try again', SenderFault: false }],
    });
    const { handler, emitted } = setup();
    const event = batch();

    // Act
    const response = await handler(event);

    // Assess
    expect(response.batchItemFailures).toEqual([
      { itemIdentifier: event.Records[1]?.dynamodb?.SequenceNumber },
    ]);
    expect(emitted[0]).toMatchObject({ RunsStarted: 1 });
    expect(emitted[0]).not.toHaveProperty('RunsFailed');
  });

  it('publishes nothing and reports no failure for a batch without events', async () => {
    // Prepare
    const { handler, emitted } = setup();

    // Act
    const response = await handler({
      Records: [streamRecord({ eventName: 'REMOVE', oldItem: nodeAt('a', 'SUCCEEDED'), ttl: true })],
    });

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(sns.calls()).toHaveLength(0);
    expect(emitted).toEqual([]);
  });

  it('publishes no node event but failures and retries by default, and reads no run for the others', async () => {
    // Prepare
    const lookup = vi.fn<RunContextLookup>(async () => ({
      tenant: 'acme',
      workflow: 'orders',
      version: '1.0.0',
    }));
    const { handler, emitted } = setup(lookup, {});
    const transitions: [string, string][] = [
      ['a', 'SUCCEEDED'],
      ['b', 'SKIPPED'],
      ['c', 'RETRY_WAIT'],
      ['d', 'FAILED'],
    ];
    const event: DynamoDBStreamEvent = {
      Records: [
        streamRecord({
          eventName: 'MODIFY',
          oldItem: nodeAt('s', undefined),
          newItem: nodeAt('s', 'RUNNING'),
        }),
        ...transitions.map(([id, status]) =>
          streamRecord({ eventName: 'MODIFY', oldItem: nodeAt(id, 'RUNNING'), newItem: nodeAt(id, status) }),
        ),
      ],
    };

    // Act
    const response = await handler(event);

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(published().map((entry) => entry.MessageAttributes?.type?.StringValue)).toEqual([
      'node.retrying',
      'node.failed',
    ]);
    expect(lookup).toHaveBeenCalledTimes(1);
    expect(emitted[0]).toMatchObject({ NodesFailed: 1 });
    expect(emitted[0]).not.toHaveProperty('NodesSucceeded');
  });

  it('publishes the run events only at "none"', async () => {
    // Prepare
    const { handler } = setup(undefined, { nodeEvents: 'none' });

    // Act
    await handler(batch());

    // Assess
    expect(published().map((entry) => entry.MessageAttributes?.type?.StringValue)).toEqual([
      'run.started',
      'run.failed',
    ]);
  });
});

/**
 * The monitor's composition: SNS for events, EMF metrics, and the run lookup that gives node
 * events their tenant and workflow. No engine, SQS or Scheduler client in its bundle.
 */
import { SNSClient } from '@aws-sdk/client-sns';
import { DynamoDbEventLog } from '../../shared/adapters/aws/dynamodb-event-log.ts';
import { DynamoDbRunCounters } from '../../shared/adapters/aws/dynamodb-run-counters.ts';
import { DynamoDbRunStore } from '../../shared/adapters/aws/dynamodb-run-store.ts';
import { SnsNotifier } from '../../shared/adapters/aws/sns-notifier.ts';
import { monitorMetrics } from '../../shared/handlers/monitor.ts';
import { recordingNotifier } from '../../shared/monitor/recording-notifier.ts';
import type { RunContextLookup } from '../../shared/monitor/run-context.ts';
import { config, dynamo, once, tracer } from './aws-common.ts';

export { logError } from './aws-common.ts';

const sns = once(() => tracer.captureAWSv3Client(new SNSClient({})));

/** SNS, after writing each event to its run's history (`GET .../runs/{run}/events`, the runs table). */
export const notifier = once(() =>
  recordingNotifier({
    notifier: new SnsNotifier({ client: sns(), topicArn: config.eventsTopicArn }),
    log: new DynamoDbEventLog({ client: dynamo(), tableName: config.runsTable }),
    counters: new DynamoDbRunCounters({ client: dynamo(), tableName: config.runsTable }),
  }),
);

export const metrics = once(() => monitorMetrics(config.stage));

/** `SKEIN_NODE_EVENTS`: which node events to publish (`failures` unless set). */
export const nodeEvents = () => config.nodeEvents;

/**
 * Tenant, workflow and version of a run, for node events (one read per run per instance). The
 * plain DynamoDB store: a run's outputs, offloaded or not, are not read here, so the monitor
 * needs no access to the payload bucket.
 */
export const runContext = once((): RunContextLookup => {
  const store = new DynamoDbRunStore({ client: dynamo(), tableName: config.runsTable });
  return async (runId) => {
    const run = await store.getRun(runId);
    return run && { tenant: run.tenant, workflow: run.workflow, version: run.version };
  };
});

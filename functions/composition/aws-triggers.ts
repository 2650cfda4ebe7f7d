/**
 * Triggers on AWS, for the functions that keep them (the api) and fire them (the trigger): the
 * trigger store in the control table (`SKEIN_CONTROL_TABLE`), the engine that starts their runs,
 * and, for the api, cron triggers' schedules in EventBridge Scheduler (built on the first trigger
 * write, so a missing `SKEIN_TRIGGER_*` variable is named there).
 */
import { SNSClient } from '@aws-sdk/client-sns';
import { DynamoDbEventLog } from '../../shared/adapters/aws/dynamodb-event-log.ts';
import { DynamoDbTriggerStore } from '../../shared/adapters/aws/dynamodb-trigger-store.ts';
import { SnsNotifier } from '../../shared/adapters/aws/sns-notifier.ts';
import type { TriggerDeps } from '../../shared/engine/triggers/deps.ts';
import { recordingNotifier } from '../../shared/monitor/recording-notifier.ts';
import { systemClock } from '../../shared/ports/clock.ts';
import { randomIds } from '../../shared/ports/ids.ts';
import type { Notifier } from '../../shared/ports/notifier.ts';
import type { TriggerSchedules } from '../../shared/ports/trigger-schedules.ts';
import { dynamo, once, tracer } from './aws-common.ts';
import { config, definitions, engine, logEngineEvent, logError } from './aws-engine.ts';
import { triggerSchedules } from './aws-trigger-schedules.ts';

const store = once(() => new DynamoDbTriggerStore({ client: dynamo(), tableName: config.controlTable }));

/** Scheduler's client and settings, built when a cron trigger is first written. */
const lazySchedules: TriggerSchedules = {
  put: (schedule) => triggerSchedules().put(schedule),
  remove: (tenant, triggerId) => triggerSchedules().remove(tenant, triggerId),
};

/**
 * `trigger.fired` / `trigger.failed` to the events topic (`SKEIN_EVENTS_TOPIC_ARN`), each fired
 * event also in its run's history, as the monitor does for run events.
 */
const notifier = once(
  (): Notifier =>
    recordingNotifier({
      notifier: new SnsNotifier({
        client: tracer.captureAWSv3Client(new SNSClient({})),
        topicArn: config.eventsTopicArn,
      }),
      log: new DynamoDbEventLog({ client: dynamo(), tableName: config.runsTable }),
    }),
);
const lazyNotifier: Notifier = { publish: (events) => notifier().publish(events) };

/** The trigger use cases' ports; `withSchedules` for the function that keeps triggers (the api). */
export function triggerDeps(options: { withSchedules?: boolean } = {}): TriggerDeps {
  return {
    triggers: store(),
    runner: engine(),
    definitions: definitions(),
    ...(options.withSchedules ? { schedules: lazySchedules } : {}),
    clock: systemClock,
    ids: randomIds,
    observer: logEngineEvent,
    notifier: lazyNotifier,
    onNotifyError: (error) => logError('skein trigger: an event was not published', { error }),
  };
}

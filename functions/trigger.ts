import { SqsQueue } from '../shared/adapters/aws/sqs-queue.ts';
import { fireCron } from '../shared/engine/triggers/fire.ts';
import { createTriggerHandler } from '../shared/handlers/trigger.ts';
import { config, engine, logError, sqs } from './composition/aws-engine.ts';
import { triggerDeps } from './composition/aws-triggers.ts';

/**
 * The trigger queue's consumer: start-run events, cron firings (sub-minute ones fanned out back
 * onto the queue), fired through the triggers in the control table, and events of Skein's bus
 * (logged and dropped until event triggers exist).
 */
const triggers = triggerDeps();

export const handler = createTriggerHandler({
  engine: engine(),
  log: logError,
  fire: (tenant, triggerId, scheduledAt) => fireCron(triggers, tenant, triggerId, Date.parse(scheduledAt)),
  queue: {
    send: (messages) => new SqsQueue({ client: sqs(), queueUrl: config.triggerQueueUrl }).send(messages),
  },
});

import { SqsQueue } from '../shared/adapters/aws/sqs-queue.ts';
import { cachedEventTriggers, matchEvent } from '../shared/engine/triggers/events.ts';
import { fireCron } from '../shared/engine/triggers/fire.ts';
import { createTriggerHandler } from '../shared/handlers/trigger.ts';
import { config, engine, logError, sqs } from './composition/aws-engine.ts';
import { triggerDeps } from './composition/aws-triggers.ts';

/**
 * The trigger queue's consumer: start-run events, cron firings (sub-minute ones fanned out back
 * onto the queue), fired through the triggers in the control table, and events of Skein's bus,
 * matched against the event triggers (read at most every 15 s per instance).
 */
const triggers = triggerDeps();
const eventTriggers = cachedEventTriggers(triggers, 15_000);

export const handler = createTriggerHandler({
  engine: engine(),
  log: logError,
  fire: (tenant, triggerId, scheduledAt) => fireCron(triggers, tenant, triggerId, Date.parse(scheduledAt)),
  matchEvents: async (event) => matchEvent(triggers, await eventTriggers(), event),
  queue: {
    send: (messages) => new SqsQueue({ client: sqs(), queueUrl: config.triggerQueueUrl }).send(messages),
  },
});

import { SqsQueue } from '../shared/adapters/aws/sqs-queue.ts';
import { createTriggerHandler } from '../shared/handlers/trigger.ts';
import { config, engine, logError, sqs } from './composition/aws-engine.ts';

/**
 * The trigger queue's consumer: start-run events, cron firings (sub-minute ones fanned out back
 * onto the queue) and events of Skein's bus. `fire` and `matchEvents` are the triggers use case's
 * to wire; until then those messages are logged and dropped.
 */
export const handler = createTriggerHandler({
  engine: engine(),
  log: logError,
  queue: {
    send: (messages) => new SqsQueue({ client: sqs(), queueUrl: config.triggerQueueUrl }).send(messages),
  },
});

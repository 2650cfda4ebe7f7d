import { isTransientAwsError } from '../shared/adapters/aws/transient-errors.ts';
import { createWorkerHandler } from '../shared/handlers/worker.ts';
import { countMetric, engine, logger, workerQueue } from './composition/aws-worker.ts';

/**
 * SQS event source (ReportBatchItemFailures) of one pool's queue → the engine. Infrastructure
 * errors put the message back without using a receive; bad bodies and failures are logged with
 * their message, run and node ids and counted as metrics.
 */
export const handler = createWorkerHandler({
  engine: engine(),
  queue: workerQueue(),
  isTransient: isTransientAwsError,
  log: (level, message, details) => logger[level](message, { ...details }),
  count: countMetric,
  random: Math.random,
});

/** The sandbox's hosts run from files next to this bundle; exported so the synth test can run them. */
export { sandbox } from './composition/aws-worker.ts';

import { createWorkerHandler } from '../shared/handlers/worker.ts';
import { engine, workerQueue } from './composition/aws-worker.ts';

/** SQS event source (ReportBatchItemFailures) of one pool's queue → the engine. */
export const handler = createWorkerHandler({ engine: engine(), queue: workerQueue() });

/** The sandbox's hosts run from files next to this bundle; exported so the synth test can run them. */
export { sandbox } from './composition/aws-worker.ts';

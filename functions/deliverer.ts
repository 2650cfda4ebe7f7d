import { createDelivererHandler } from '../shared/handlers/deliverer.ts';
import { delivererDeps } from './composition/aws-deliverer.ts';

/** SNS → SQS (one message per event and https subscription) → signed webhooks (ReportBatchItemFailures). */
export const handler = createDelivererHandler(delivererDeps());

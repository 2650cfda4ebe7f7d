import { createMonitorHandler } from '../shared/handlers/monitor.ts';
import { systemClock } from '../shared/ports/clock.ts';
import { logError, metrics, nodeEvents, notifier, runContext } from './composition/aws-monitor.ts';

/**
 * The runs table's stream (ReportBatchItemFailures, filtered to the records that make events) → SNS
 * events and CloudWatch metrics.
 */
export const handler = createMonitorHandler({
  notifier: notifier(),
  metrics: metrics(),
  runContext: runContext(),
  clock: systemClock,
  log: logError,
  nodeEvents: nodeEvents(),
});

import { createMonitorHandler } from '../shared/handlers/monitor.ts';
import { systemClock } from '../shared/ports/clock.ts';
import { logError, metrics, notifier, runContext } from './composition/aws-monitor.ts';

/** The runs table's stream (ReportBatchItemFailures) → SNS events and CloudWatch metrics. */
export const handler = createMonitorHandler({
  notifier: notifier(),
  metrics: metrics(),
  runContext: runContext(),
  clock: systemClock,
  log: logError,
});

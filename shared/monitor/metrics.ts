import { METRICS } from '../config.ts';
import type { SkeinEvent, SkeinEventType } from '../ports/notifier.ts';

/** One metric value, in Powertools' unit names. */
export interface MetricPoint {
  readonly name: string;
  readonly unit: 'Count' | 'Milliseconds';
  readonly value: number;
}

const COUNTS: Partial<Record<SkeinEventType, string>> = {
  'run.started': METRICS.runsStarted,
  'run.succeeded': METRICS.runsSucceeded,
  'run.failed': METRICS.runsFailed,
  'run.cancelled': METRICS.runsCancelled,
  'run.timed_out': METRICS.runsTimedOut,
  'node.succeeded': METRICS.nodesSucceeded,
  'node.failed': METRICS.nodesFailed,
};

/**
 * The CloudWatch metrics of one event: a count per run start and end and per node success and
 * failure, and the duration of ended runs (`RunDuration`) and of succeeded or failed nodes
 * (`NodeDuration`, all attempts).
 * @example metricsOf({ type: 'run.failed', durationMs: 1200, ... })
 * // [{ name: 'RunsFailed', unit: 'Count', value: 1 }, { name: 'RunDuration', unit: 'Milliseconds', value: 1200 }]
 */
export function metricsOf(event: SkeinEvent): MetricPoint[] {
  const count = COUNTS[event.type];
  if (count === undefined) return [];
  const points: MetricPoint[] = [{ name: count, unit: 'Count', value: 1 }];
  if (event.durationMs !== undefined && event.type !== 'run.started') {
    const name = event.type.startsWith('run.') ? METRICS.runDuration : METRICS.nodeDuration;
    points.push({ name, unit: 'Milliseconds', value: event.durationMs });
  }
  return points;
}

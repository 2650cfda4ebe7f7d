import type { MonitorDeps } from '../../shared/handlers/monitor.ts';

/** CloudWatch EMF has no reader locally. */
export const NO_METRICS = {
  addMetric: () => NO_METRICS,
  publishStoredMetrics: () => {},
  hasStoredMetrics: () => false,
} as unknown as MonitorDeps['metrics'];

export function describe(details: unknown): string {
  try {
    return JSON.stringify(details);
  } catch {
    return String(details);
  }
}

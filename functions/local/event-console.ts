import type { Severity, SkeinEvent } from '../../shared/ports/notifier.ts';

const COLOURS: Record<Severity, string> = {
  info: '\x1b[36m',
  warning: '\x1b[33m',
  error: '\x1b[31m',
  critical: '\x1b[1;35m',
};
const RESET = '\x1b[0m';

/**
 * Whether `npm start` prints an event: every run event, and node events that need attention
 * (warnings and worse, and callbacks waiting for a completion).
 */
export function printed(event: SkeinEvent): boolean {
  return (
    event.type.startsWith('run.') ||
    event.type.startsWith('trigger.') ||
    event.severity !== 'info' ||
    event.type === 'node.waiting'
  );
}

/**
 * One console line for an event, its severity coloured (ANSI) unless `colour` is false.
 * @example eventLine({ type: 'run.failed', severity: 'error', tenant: 'demo', workflow: 'hello', runId: 'r1', time, error }, false)
 * // '00:00:01 ERROR    run.failed demo/hello run r1: BOOM it broke'
 */
export function eventLine(event: SkeinEvent, colour = true): string {
  const time = event.time.slice(11, 19);
  const label = event.severity.toUpperCase().padEnd(8);
  const severity = colour ? `${COLOURS[event.severity]}${label}${RESET}` : label;
  const where = [event.tenant, event.workflow].filter(Boolean).join('/');
  const node = event.nodeId === undefined ? '' : ` node ${event.nodeId}`;
  const attempt = event.attempt !== undefined && event.attempt > 1 ? ` (attempt ${event.attempt})` : '';
  const error = event.error ? `: ${event.error.code} ${event.error.message}` : '';
  const took = event.durationMs !== undefined ? ` in ${event.durationMs} ms` : '';
  const trigger = event.type.startsWith('trigger.') ? ` trigger ${event.trigger}` : '';
  const run = event.runId === '' ? '' : ` run ${event.runId}`;
  return `${time} ${severity} ${event.type} ${where}${trigger}${run}${node}${attempt}${took}${error}`;
}

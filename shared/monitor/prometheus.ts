import type { SkeinEvent } from '../ports/notifier.ts';

/** What the collector needs to know about the ready queue when scraped. */
export interface QueueDepthReading {
  readonly visible: number;
  readonly inFlight: number;
  readonly delayed: number;
}

/** Upper bounds (seconds) of the node-duration histogram's buckets. */
const BUCKETS = [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 60, 300, 3600];

/**
 * Prometheus metrics of one local Skein, fed by the published events (the monitor's listeners):
 * `skein_runs_started_total` and `skein_runs_ended_total{status}` (no tenant or workflow labels),
 * `skein_node_duration_seconds` (a histogram of succeeded and failed nodes) and, read at each
 * scrape, `skein_queue_messages{state}` of the ready queue. Counters start at zero with the process.
 * @example const metrics = new PrometheusMetrics(); hub.subscribe((e) => metrics.observe([e])); text = await metrics.render(depth);
 */
export class PrometheusMetrics {
  private readonly started = new Map<string, number>();
  private readonly ended = new Map<string, number>();
  private readonly buckets = new Map<string, number[]>();
  private readonly sums = new Map<string, number>();

  observe(events: readonly SkeinEvent[]): void {
    for (const event of events) {
      // No tenant or workflow labels: the route needs no key, and names are tenants' data
      // (per-workflow counts are on `GET .../workflows/{wf}`, behind the tenant's key).
      const labels = {};
      if (event.type === 'run.started') bump(this.started, key(labels));
      else if (event.type.startsWith('run.') && event.type !== 'run.paused' && event.type !== 'run.resumed') {
        bump(this.ended, key({ ...labels, status: event.type.slice(4) }));
      } else if (
        (event.type === 'node.succeeded' || event.type === 'node.failed') &&
        event.durationMs !== undefined
      ) {
        const id = key({ ...labels, outcome: event.type.slice(5) });
        const seconds = event.durationMs / 1000;
        const counts = this.buckets.get(id) ?? new Array<number>(BUCKETS.length + 1).fill(0);
        BUCKETS.forEach((bound, index) => {
          if (seconds <= bound) counts[index] = (counts[index] ?? 0) + 1;
        });
        counts[BUCKETS.length] = (counts[BUCKETS.length] ?? 0) + 1;
        this.buckets.set(id, counts);
        this.sums.set(id, (this.sums.get(id) ?? 0) + seconds);
      }
    }
  }

  /** The exposition text (format 0.0.4). */
  render(depth?: QueueDepthReading): string {
    const lines: string[] = [];
    lines.push('# HELP skein_runs_started_total Runs started.', '# TYPE skein_runs_started_total counter');
    for (const [labels, value] of this.started)
      lines.push(`skein_runs_started_total${braced(labels)} ${value}`);
    lines.push(
      '# HELP skein_runs_ended_total Runs ended, by status.',
      '# TYPE skein_runs_ended_total counter',
    );
    for (const [labels, value] of this.ended) lines.push(`skein_runs_ended_total{${labels}} ${value}`);
    lines.push(
      '# HELP skein_node_duration_seconds Durations of succeeded and failed nodes (all attempts).',
      '# TYPE skein_node_duration_seconds histogram',
    );
    for (const [labels, counts] of this.buckets) {
      BUCKETS.forEach((bound, index) => {
        lines.push(`skein_node_duration_seconds_bucket{${labels},le="${bound}"} ${counts[index]}`);
      });
      lines.push(`skein_node_duration_seconds_bucket{${labels},le="+Inf"} ${counts[BUCKETS.length]}`);
      lines.push(`skein_node_duration_seconds_sum{${labels}} ${this.sums.get(labels) ?? 0}`);
      lines.push(`skein_node_duration_seconds_count{${labels}} ${counts[BUCKETS.length]}`);
    }
    if (depth) {
      lines.push(
        '# HELP skein_queue_messages Messages in the ready queue.',
        '# TYPE skein_queue_messages gauge',
      );
      for (const state of ['visible', 'inFlight', 'delayed'] as const) {
        lines.push(`skein_queue_messages{state="${state}"} ${depth[state]}`);
      }
    }
    return `${lines.join('\n')}\n`;
  }
}

const braced = (labels: string) => (labels === '' ? '' : `{${labels}}`);

function key(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(
      ([name, value]) =>
        `${name}="${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`,
    )
    .join(',');
}

function bump(counts: Map<string, number>, labels: string): void {
  counts.set(labels, (counts.get(labels) ?? 0) + 1);
}

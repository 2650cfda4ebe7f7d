import { Aws, Duration } from 'aws-cdk-lib';
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  MathExpression,
  Metric,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRICS } from '../../shared/config.ts';
import { pascalCase } from './pools.ts';

/** A pool as the dashboard sees it. */
export interface DashboardPool {
  /** Pool name. */
  readonly name: string;
  /** Ready-node queue. */
  readonly queue: IQueue;
  /** Its dead-letter queue. */
  readonly deadLetterQueue: IQueue;
}

export interface SkeinDashboardProps {
  /** Stage of the deployment: the `stage` dimension of Skein's metrics and part of every name. */
  readonly stage: string;
  /** Worker pools: queue depth and age of the oldest message, per pool. */
  readonly pools: readonly DashboardPool[];
  /** Dead-letter queues besides the pools' (label → queue), e.g. the monitor's stream failures. */
  readonly deadLetterQueues?: Readonly<Record<string, IQueue>>;
  /** Functions to chart and alarm on, by label (`Api`, `Worker-default`, ...). */
  readonly functions: Readonly<Record<string, IFunction>>;
  /** Every alarm notifies this topic. */
  readonly alarmTopic: ITopic;
  /**
   * Alarm when the oldest message of a pool queue is older than this.
   * @default 5 minutes
   */
  readonly maxMessageAge?: Duration;
  /**
   * Alarm when more than this percentage of the runs that ended in 5 minutes failed.
   * @default 10
   */
  readonly maxFailurePercent?: number;
  /**
   * Runs that must end in the 5 minutes before the failure rate counts (one failure out of two is no outage).
   * @default 5
   */
  readonly minRunsForFailureRate?: number;
}

const FIVE_MINUTES = Duration.minutes(5);

/**
 * The CloudWatch dashboard `Skein-<stage>` and the alarms that go with it, all notifying the
 * alarm topic:
 * - each dead-letter queue holds a message (pools' and the extra ones);
 * - more than {@link SkeinDashboardProps.maxFailurePercent}% of the runs ending in 5 minutes
 *   failed, once at least {@link SkeinDashboardProps.minRunsForFailureRate} ended;
 * - a pool's oldest message is older than {@link SkeinDashboardProps.maxMessageAge};
 * - a function reported an error in 5 minutes.
 *
 * Widgets: runs started/succeeded/failed and the failure rate, node duration p50/p99, per pool
 * queue depth and age of the oldest message, dead-letter queue depth, and Lambda errors,
 * throttles and p99 duration per function. Run and node metrics are the monitor's EMF metrics
 * (`METRICS` in `shared/config.ts`) with the single dimension `stage`.
 *
 * @example
 * new SkeinDashboard(this, 'Dashboard', { stage, pools, functions: { Api: api.handler }, alarmTopic });
 */
export class SkeinDashboard extends Construct {
  /** The dashboard. */
  public readonly dashboard: Dashboard;
  /** Every alarm, by construct id. */
  public readonly alarms: readonly Alarm[];
  /** The console URL of the dashboard. */
  public readonly url: string;

  constructor(scope: Construct, id: string, props: SkeinDashboardProps) {
    super(scope, id);
    const { stage } = props;
    const action = new SnsAction(props.alarmTopic);
    const alarms: Alarm[] = [];
    const alarm = (alarmId: string, description: string, build: Omit<AlarmInput, 'description'>) => {
      const created = new Alarm(this, alarmId, {
        alarmName: `Skein-${stage}-${alarmId}`,
        alarmDescription: description,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
        ...build,
      });
      created.addAlarmAction(action);
      created.addOkAction(action);
      alarms.push(created);
      return created;
    };

    const runs = (metricName: string, label: string) => skeinMetric(stage, metricName, 'Sum', label);
    const started = runs(METRICS.runsStarted, 'started');
    const succeeded = runs(METRICS.runsSucceeded, 'succeeded');
    const failed = runs(METRICS.runsFailed, 'failed');
    const minRuns = props.minRunsForFailureRate ?? 5;
    const failureRate = new MathExpression({
      expression: `IF(FILL(s, 0) + FILL(f, 0) >= ${minRuns}, 100 * FILL(f, 0) / (FILL(s, 0) + FILL(f, 0)), 0)`,
      usingMetrics: { s: succeeded, f: failed },
      label: 'failed runs (%)',
      period: FIVE_MINUTES,
    });
    const maxFailurePercent = props.maxFailurePercent ?? 10;
    alarm('RunFailureRate', `More than ${maxFailurePercent}% of the runs that ended in 5 minutes failed`, {
      metric: failureRate,
      threshold: maxFailurePercent,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
    });

    const maxAge = props.maxMessageAge ?? FIVE_MINUTES;
    const depth: IMetric[] = [];
    const age: IMetric[] = [];
    const deadLetters: Record<string, IQueue> = {};
    for (const pool of props.pools) {
      const oldest = pool.queue.metricApproximateAgeOfOldestMessage({
        statistic: 'Maximum',
        period: Duration.minutes(1),
        label: pool.name,
      });
      depth.push(
        pool.queue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', label: pool.name }),
      );
      age.push(oldest);
      alarm(
        `${pascalCase(pool.name)}PoolOldestMessage`,
        `Pool "${pool.name}" has a message older than ${maxAge.toHumanString()}`,
        {
          metric: oldest,
          threshold: maxAge.toSeconds(),
          comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        },
      );
      deadLetters[`${pascalCase(pool.name)}Pool`] = pool.deadLetterQueue;
    }
    Object.assign(deadLetters, props.deadLetterQueues);
    const deadLetterDepth = Object.entries(deadLetters).map(([label, queue]) => {
      const visible = queue.metricApproximateNumberOfMessagesVisible({
        statistic: 'Maximum',
        period: Duration.minutes(1),
        label,
      });
      alarm(`${label}DeadLetters`, `The dead-letter queue of ${label} holds messages`, {
        metric: visible,
        threshold: 0,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      });
      return visible;
    });

    const errors: IMetric[] = [];
    const throttles: IMetric[] = [];
    const durations: IMetric[] = [];
    for (const [label, fn] of Object.entries(props.functions)) {
      const fnErrors = fn.metricErrors({ statistic: 'Sum', period: FIVE_MINUTES, label });
      errors.push(fnErrors);
      throttles.push(fn.metricThrottles({ statistic: 'Sum', period: FIVE_MINUTES, label }));
      durations.push(fn.metricDuration({ statistic: 'p99', period: FIVE_MINUTES, label }));
      alarm(`${label.replace(/-/g, '')}Errors`, `Function ${label} reported errors`, {
        metric: fnErrors,
        threshold: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      });
    }
    this.alarms = alarms;

    const graph = (title: string, left: IMetric[], width = 8) => new GraphWidget({ title, left, width });
    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: `Skein-${stage}`,
      defaultInterval: Duration.hours(3),
      widgets: [
        [
          graph('Runs', [started, succeeded, failed]),
          graph('Run failure rate (%)', [failureRate]),
          graph('Node duration (ms)', [
            skeinMetric(stage, METRICS.nodeDuration, 'p50', 'p50'),
            skeinMetric(stage, METRICS.nodeDuration, 'p99', 'p99'),
          ]),
        ],
        [
          graph('Ready nodes waiting, per pool', depth),
          graph('Age of the oldest message, per pool (s)', age),
          graph('Dead-letter queue depth', deadLetterDepth),
        ],
        [
          graph('Lambda errors', errors),
          graph('Lambda throttles', throttles),
          graph('Lambda duration p99 (ms)', durations),
        ],
        [new AlarmStatusWidget({ title: 'Alarms', alarms, width: 24 })],
      ],
    });
    this.url =
      `https://${Aws.REGION}.console.aws.amazon.com/cloudwatch/home?region=${Aws.REGION}` +
      `#dashboards:name=Skein-${stage}`;
  }
}

type AlarmInput = {
  readonly metric: IMetric;
  readonly threshold: number;
  readonly comparisonOperator: ComparisonOperator;
  readonly description: string;
};

/**
 * A Skein metric as the monitor writes it (EMF, namespace `Skein`, one dimension `stage`).
 * @example skeinMetric('prod', METRICS.runsFailed, 'Sum', 'failed')
 */
export function skeinMetric(stage: string, metricName: string, statistic: string, label: string): Metric {
  return new Metric({
    namespace: METRICS.namespace,
    metricName,
    dimensionsMap: { [METRICS.dimension]: stage },
    statistic,
    label,
    period: FIVE_MINUTES,
  });
}

import { Aws, Duration, Stack } from 'aws-cdk-lib';
import type { IHttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  MathExpression,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IScheduleGroup } from 'aws-cdk-lib/aws-scheduler';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRICS } from '../../shared/config.ts';
import { DEFAULT_NODE_EVENTS, type NodeEventLevel } from '../../shared/monitor/events.ts';
import { MAX_DELAY_SECONDS } from '../../shared/ports/queue.ts';
import { FIVE_MINUTES, skeinMetric, tableThrottleEvents } from './metrics.ts';
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
  /** DynamoDB tables (label → table and the names of its global secondary indexes): throttles. */
  readonly tables: Readonly<Record<string, DashboardTable>>;
  /** The HTTP API: 5xx answers. */
  readonly httpApi: IHttpApi;
  /** The function reading the runs table's stream: its iterator age. */
  readonly streamConsumer: IFunction;
  /** The timer's schedule group: deliveries that failed or were dropped. */
  readonly timerGroup: IScheduleGroup;
  /**
   * Cron triggers' schedule group: firings Scheduler failed to deliver, or gave up on.
   * @default no cron alarms
   */
  readonly triggerGroup?: IScheduleGroup;
  /**
   * The monitor's node-event level: node durations come from `node.succeeded` events, so below
   * `all` the dashboard charts the messages each pool handled (SQS's own metric) instead.
   * @default 'failures'
   */
  readonly nodeEvents?: NodeEventLevel;
  /**
   * Alarm when a pool's message waited this long after it was due. The alarm's threshold is this
   * plus SQS's longest delay (15 minutes), so that a delayed message, which is as old as its delay
   * when it becomes visible, never sets it off.
   * @default 5 minutes
   */
  readonly maxMessageAge?: Duration;
  /**
   * Alarm when the monitor lags this far behind the runs table's stream (events and metrics late).
   * @default 5 minutes
   */
  readonly maxIteratorAge?: Duration;
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

/** A DynamoDB table as the dashboard sees it. */
export interface DashboardTable {
  readonly table: ITable;
  /** Its global secondary indexes (their throttles hold back writes to the table). */
  readonly indexNames?: readonly string[];
}

const ONE_MINUTE = Duration.minutes(1);

/**
 * The CloudWatch dashboard `Skein-<stage>-<region>` (dashboard names are global to the account, so
 * the same stage in two regions needs two names) and the alarms that go with it, all notifying
 * the alarm topic:
 * - each dead-letter queue holds a message (pools', the timer's and the extra ones);
 * - more than {@link SkeinDashboardProps.maxFailurePercent}% of the runs ending in 5 minutes
 *   failed, once at least {@link SkeinDashboardProps.minRunsForFailureRate} ended;
 * - a pool's message waited more than {@link SkeinDashboardProps.maxMessageAge} after it was due:
 *   the oldest message is older than that plus 15 minutes (the longest SQS delay), so delayed
 *   wake-ups never set it off;
 * - a function reported an error, or was throttled, in 5 minutes;
 * - a DynamoDB table or one of its indexes throttled a request in 5 minutes;
 * - the API answered 5xx in 5 minutes;
 * - the monitor lags more than {@link SkeinDashboardProps.maxIteratorAge} behind the stream;
 * - the timer failed to deliver (target errors), or dropped a delivery.
 *
 * Widgets: runs started/succeeded/failed and the failure rate, node duration p50/p99, per pool
 * queue depth and age of the oldest message, dead-letter queue depth, and Lambda errors,
 * throttles and p99 duration per function. Run and node metrics are the monitor's EMF metrics
 * (`METRICS` in `shared/config.ts`) with the single dimension `stage`.
 *
 * @example
 * new SkeinDashboard(this, 'Dashboard', { stage, pools, functions, alarmTopic, tables, httpApi, streamConsumer, timerGroup });
 */
export class SkeinDashboard extends Construct {
  /** The dashboard. */
  public readonly dashboard: Dashboard;
  /** Every alarm, by construct id. */
  public readonly alarms: readonly Alarm[];
  /** The dashboard's name: `Skein-<stage>-<region>`. */
  public readonly dashboardName: string;
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
    const anyOf = (alarmId: string, description: string, metric: IMetric) =>
      alarm(alarmId, description, {
        metric,
        threshold: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      });

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

    const maxWait = props.maxMessageAge ?? FIVE_MINUTES;
    const depth: IMetric[] = [];
    const handled: IMetric[] = [];
    const age: IMetric[] = [];
    const deadLetters: Record<string, IQueue> = {};
    for (const pool of props.pools) {
      const oldest = pool.queue.metricApproximateAgeOfOldestMessage({
        statistic: 'Maximum',
        period: ONE_MINUTE,
        label: pool.name,
      });
      depth.push(
        pool.queue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', label: pool.name }),
      );
      age.push(oldest);
      handled.push(pool.queue.metricNumberOfMessagesDeleted({ statistic: 'Sum', label: pool.name }));
      alarm(
        `${pascalCase(pool.name)}PoolOldestMessage`,
        `Pool "${pool.name}" has a message that waited more than ${maxWait.toHumanString()} after it was due ` +
          `(older than that plus ${MAX_DELAY_SECONDS / 60} minutes, the longest SQS delay)`,
        {
          metric: oldest,
          threshold: MAX_DELAY_SECONDS + maxWait.toSeconds(),
          comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        },
      );
      deadLetters[`${pascalCase(pool.name)}Pool`] = pool.deadLetterQueue;
    }
    Object.assign(deadLetters, props.deadLetterQueues);
    const deadLetterDepth = Object.entries(deadLetters).map(([label, queue]) => {
      const visible = queue.metricApproximateNumberOfMessagesVisible({
        statistic: 'Maximum',
        period: ONE_MINUTE,
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
      const name = label.replace(/-/g, '');
      const fnErrors = fn.metricErrors({ statistic: 'Sum', period: FIVE_MINUTES, label });
      const fnThrottles = fn.metricThrottles({ statistic: 'Sum', period: FIVE_MINUTES, label });
      errors.push(fnErrors);
      throttles.push(fnThrottles);
      durations.push(fn.metricDuration({ statistic: 'p99', period: FIVE_MINUTES, label }));
      anyOf(`${name}Errors`, `Function ${label} reported errors`, fnErrors);
      anyOf(`${name}Throttles`, `Function ${label} was throttled (concurrency exhausted)`, fnThrottles);
    }

    const tableThrottles = Object.entries(props.tables).map(([label, { table, indexNames = [] }]) => {
      const throttled = tableThrottleEvents(table, indexNames, label);
      anyOf(
        `${label}Throttles`,
        `DynamoDB throttled requests to the ${label} table${indexNames.length > 0 ? ' or its indexes' : ''}`,
        throttled,
      );
      return throttled;
    });
    const api5xx = props.httpApi.metricServerError({ statistic: 'Sum', period: FIVE_MINUTES, label: '5xx' });
    anyOf('Api5xx', 'The HTTP API answered with 5xx', api5xx);
    const maxIteratorAge = props.maxIteratorAge ?? FIVE_MINUTES;
    const iteratorAge = props.streamConsumer.metric('IteratorAge', {
      statistic: 'Maximum',
      period: ONE_MINUTE,
      label: 'monitor iterator age',
    });
    alarm(
      'MonitorIteratorAge',
      `The monitor is more than ${maxIteratorAge.toHumanString()} behind the runs stream`,
      {
        metric: iteratorAge,
        threshold: maxIteratorAge.toMilliseconds(),
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      },
    );
    const timerErrors = props.timerGroup.metricTargetErrors({
      period: FIVE_MINUTES,
      label: 'timer target errors',
    });
    anyOf(
      'TimerTargetErrors',
      'The timer failed to deliver a message to a pool queue (Scheduler retries it)',
      timerErrors,
    );
    const timerDropped = new MathExpression({
      expression: 'FILL(d, 0) + FILL(x, 0)',
      usingMetrics: {
        d: props.timerGroup.metricDropped({ period: FIVE_MINUTES }),
        x: props.timerGroup.metricFailedToBeSentToDLQ(undefined, { period: FIVE_MINUTES }),
      },
      label: 'timer messages lost',
      period: FIVE_MINUTES,
    });
    anyOf(
      'TimerDropped',
      'The timer gave up a message without putting it in its dead-letter queue',
      timerDropped,
    );
    if (props.triggerGroup) {
      anyOf(
        'CronTargetErrors',
        'A cron firing failed to reach the trigger queue (Scheduler retries it for an hour)',
        props.triggerGroup.metricTargetErrors({ period: FIVE_MINUTES, label: 'cron target errors' }),
      );
      // No dead-letter queue: a firing an hour late is dropped (the next one comes).
      anyOf(
        'CronDropped',
        'A cron firing was dropped after an hour of failed deliveries to the trigger queue',
        props.triggerGroup.metricDropped({ period: FIVE_MINUTES, label: 'cron firings dropped' }),
      );
    }
    this.alarms = alarms;

    const graph = (title: string, left: IMetric[], width = 8) => new GraphWidget({ title, left, width });
    this.dashboardName = `Skein-${stage}-${Stack.of(this).region}`;
    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: this.dashboardName,
      defaultInterval: Duration.hours(3),
      widgets: [
        [
          graph('Runs', [started, succeeded, failed]),
          graph('Run failure rate (%)', [failureRate]),
          (props.nodeEvents ?? DEFAULT_NODE_EVENTS) === 'all'
            ? graph('Node duration (ms)', [
                skeinMetric(stage, METRICS.nodeDuration, 'p50', 'p50'),
                skeinMetric(stage, METRICS.nodeDuration, 'p99', 'p99'),
              ])
            : graph('Node messages handled, per pool', handled),
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
        [
          graph('DynamoDB throttled requests', tableThrottles),
          graph('API 5xx and timer failures', [api5xx, timerErrors, timerDropped]),
          graph('Monitor iterator age (ms)', [iteratorAge]),
        ],
        [new AlarmStatusWidget({ title: 'Alarms', alarms, width: 24 })],
      ],
    });
    this.url =
      `https://${Aws.REGION}.console.aws.amazon.com/cloudwatch/home?region=${Aws.REGION}` +
      `#dashboards:name=${this.dashboardName}`;
  }
}

type AlarmInput = {
  readonly metric: IMetric;
  readonly threshold: number;
  readonly comparisonOperator: ComparisonOperator;
  readonly description: string;
};

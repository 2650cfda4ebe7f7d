import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { METRICS } from '../../shared/config.ts';
import { getAtt, onlyResource, ref, synthStack } from './helpers.ts';

const alarmNamed = (name: string) => ({ AlarmName: name });

describe('SkeinDashboard', () => {
  it.each([
    ['the node durations of node events', 'all', METRICS.nodeDuration, 'NumberOfMessagesDeleted'],
    ['the messages each pool handled', 'failures', 'NumberOfMessagesDeleted', METRICS.nodeDuration],
  ] as const)('charts %s when nodeEvents is %s', (_what, nodeEvents, shown, absent) => {
    // Prepare / Act
    const { template } = synthStack('prod', { nodeEvents });
    const body = JSON.stringify(
      onlyResource(template, 'AWS::CloudWatch::Dashboard').Properties.DashboardBody,
    );
    // Assess
    expect(body).toContain(`\\"${shown}\\"`);
    expect(body).not.toContain(`\\"${absent}\\"`);
  });

  it('charts runs, node duration, queues, dead letters and every function on the Skein-<stage>-<region> dashboard', () => {
    // Prepare
    const { template } = synthStack('prod', { nodeEvents: 'all' });
    // Act
    const dashboard = onlyResource(template, 'AWS::CloudWatch::Dashboard');
    const body = JSON.stringify(dashboard.Properties.DashboardBody);
    // Assess
    expect(dashboard.Properties.DashboardName).toEqual({
      'Fn::Join': ['', ['Skein-prod-', { Ref: 'AWS::Region' }]],
    });
    for (const name of [
      METRICS.runsStarted,
      METRICS.runsSucceeded,
      METRICS.runsFailed,
      METRICS.nodeDuration,
    ]) {
      expect(body).toContain(
        `\\"${METRICS.namespace}\\",\\"${name}\\",\\"${METRICS.dimension}\\",\\"prod\\"`,
      );
    }
    for (const text of [
      'p50',
      'p99',
      'ApproximateNumberOfMessagesVisible',
      'ApproximateAgeOfOldestMessage',
    ]) {
      expect(body).toContain(text);
    }
    for (const metric of ['Errors', 'Throttles', 'Duration'])
      expect(body).toContain(`\\"AWS/Lambda\\",\\"${metric}\\"`);
  });

  it('alarms when more than 10% of at least 5 runs ending in 5 minutes failed', () => {
    // Prepare / Act
    const { template } = synthStack('prod');
    // Assess
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      ...alarmNamed('Skein-prod-RunFailureRate'),
      Threshold: 10,
      ComparisonOperator: 'GreaterThanThreshold',
      Metrics: Match.arrayWith([
        Match.objectLike({
          Expression: 'IF(FILL(s, 0) + FILL(f, 0) >= 5, 100 * FILL(f, 0) / (FILL(s, 0) + FILL(f, 0)), 0)',
        }),
        Match.objectLike({
          Id: 'f',
          MetricStat: Match.objectLike({
            Metric: {
              Namespace: METRICS.namespace,
              MetricName: METRICS.runsFailed,
              Dimensions: [{ Name: METRICS.dimension, Value: 'prod' }],
            },
            Period: 300,
            Stat: 'Sum',
          }),
        }),
      ]),
    });
  });

  it('alarms on each dead-letter queue holding a message and each pool’s message waiting 5 minutes past due', () => {
    // Prepare / Act
    const { stack, template } = synthStack('prod', { pools: [{ name: 'default' }, { name: 'gpu-heavy' }] });
    const queueName = (queue: Parameters<typeof getAtt>[1]) => [
      { Name: 'QueueName', Value: getAtt(stack, queue, 'QueueName') },
    ];
    const metric = (name: string, queue: Parameters<typeof getAtt>[1]) =>
      Match.arrayWith([
        Match.objectLike({
          MetricStat: Match.objectLike({
            Metric: { Namespace: 'AWS/SQS', MetricName: name, Dimensions: queueName(queue) },
          }),
        }),
      ]);
    // Assess
    for (const pool of stack.engine.pools) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        Metrics: metric('ApproximateNumberOfMessagesVisible', pool.deadLetterQueue),
      });
      // A delayed message is as old as its delay (up to 15 minutes) when it becomes visible.
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Threshold: 15 * 60 + 5 * 60,
        ComparisonOperator: 'GreaterThanThreshold',
        Metrics: metric('ApproximateAgeOfOldestMessage', pool.queue),
      });
    }
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      ...alarmNamed('Skein-prod-MonitorStreamDeadLetters'),
      Metrics: metric('ApproximateNumberOfMessagesVisible', stack.monitor.streamFailureQueue),
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      ...alarmNamed('Skein-prod-TimerDeadLetters'),
      Metrics: metric('ApproximateNumberOfMessagesVisible', stack.engine.timer.deadLetterQueue),
    });
  });

  it('alarms on errors and throttles of each of the seven functions, and sends every alarm and recovery to the alarm topic', () => {
    // Prepare / Act
    const { stack, template } = synthStack('prod');
    const alarmTopic = ref(stack, stack.monitor.alarmTopic);
    // Assess
    for (const label of [
      'Api',
      'Authorizer',
      'Sweeper',
      'Trigger',
      'Monitor',
      'Deliverer',
      'DefaultWorker',
    ]) {
      for (const [kind, metricName] of [
        ['Errors', 'Errors'],
        ['Throttles', 'Throttles'],
      ]) {
        template.hasResourceProperties('AWS::CloudWatch::Alarm', {
          ...alarmNamed(`Skein-prod-${label}${kind}`),
          Threshold: 1,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          Metrics: Match.arrayWith([
            Match.objectLike({
              MetricStat: Match.objectLike({
                Metric: Match.objectLike({ Namespace: 'AWS/Lambda', MetricName: metricName }),
              }),
            }),
          ]),
        });
      }
    }
    // failure rate, pool age, 5 dead-letter queues, 7 × 2 functions, 3 tables, 5xx, iterator age, 2 timer, 2 cron
    template.resourceCountIs('AWS::CloudWatch::Alarm', 1 + 1 + 5 + 14 + 3 + 1 + 1 + 2 + 2);
    template.allResourcesProperties('AWS::CloudWatch::Alarm', {
      AlarmActions: [alarmTopic],
      OKActions: [alarmTopic],
      TreatMissingData: 'notBreaching',
    });
  });
});

describe('SkeinDashboard alarms added for issue 9', () => {
  const metricStat = (namespace: string, metricName: string, dimensions: unknown, stat: object = {}) =>
    Match.objectLike({
      MetricStat: Match.objectLike({
        Metric: { Namespace: namespace, MetricName: metricName, Dimensions: dimensions },
        ...stat,
      }),
    });

  it('alarms on any throttled request of each table, and of each index of the runs table', () => {
    // Prepare
    const { stack, template } = synthStack('prod');
    const runsTable = { Name: 'TableName', Value: ref(stack, stack.store.runsTable) };
    // Act / Assess
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      ...alarmNamed('Skein-prod-RunsThrottles'),
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Metrics: Match.arrayWith([
        Match.objectLike({ Expression: Match.stringLikeRegexp('FILL\\(runsR, 0\\) \\+ FILL\\(runsW, 0\\)') }),
        metricStat('AWS/DynamoDB', 'ReadThrottleEvents', [runsTable]),
        metricStat('AWS/DynamoDB', 'WriteThrottleEvents', [runsTable]),
        metricStat('AWS/DynamoDB', 'WriteThrottleEvents', [
          { Name: 'GlobalSecondaryIndexName', Value: 'active' },
          runsTable,
        ]),
      ]),
    });
    for (const [label, table] of [
      ['Definitions', stack.store.definitionsTable],
      ['Control', stack.store.controlTable],
    ] as const) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        ...alarmNamed(`Skein-prod-${label}Throttles`),
        Metrics: Match.arrayWith([
          metricStat('AWS/DynamoDB', 'WriteThrottleEvents', [
            { Name: 'TableName', Value: ref(stack, table) },
          ]),
        ]),
      });
    }
  });

  it('alarms on any 5xx answer of the HTTP API', () => {
    // Prepare
    const { stack, template } = synthStack('prod');
    // Act / Assess
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      ...alarmNamed('Skein-prod-Api5xx'),
      Metrics: [
        metricStat('AWS/ApiGateway', '5xx', [{ Name: 'ApiId', Value: ref(stack, stack.api.httpApi) }], {
          Stat: 'Sum',
          Period: 300,
        }),
      ],
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
  });

  it('alarms when the monitor lags more than 5 minutes behind the runs stream', () => {
    // Prepare
    const { stack, template } = synthStack('prod');
    // Act / Assess
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      ...alarmNamed('Skein-prod-MonitorIteratorAge'),
      Metrics: [
        metricStat(
          'AWS/Lambda',
          'IteratorAge',
          [{ Name: 'FunctionName', Value: ref(stack, stack.monitor.monitor) }],
          {
            Stat: 'Maximum',
          },
        ),
      ],
      Threshold: 300_000,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  });

  it('alarms when the timer fails to deliver, or drops a message, in its schedule group', () => {
    // Prepare
    const { template } = synthStack('prod');
    const group = [{ Name: 'ScheduleGroup', Value: { Ref: Match.stringLikeRegexp('^EngineTimerGroup') } }];
    // Act / Assess
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      ...alarmNamed('Skein-prod-TimerTargetErrors'),
      Metrics: [metricStat('AWS/Scheduler', 'TargetErrorCount', group, { Stat: 'Sum' })],
      Threshold: 1,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      ...alarmNamed('Skein-prod-TimerDropped'),
      Threshold: 1,
      Metrics: Match.arrayWith([
        metricStat('AWS/Scheduler', 'InvocationDroppedCount', group),
        metricStat('AWS/Scheduler', 'InvocationsFailedToBeSentToDeadLetterCount', group),
      ]),
    });
  });
});

import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { METRICS } from '../../shared/config.ts';
import { getAtt, onlyResource, ref, synthStack } from './helpers.ts';

const alarmNamed = (name: string) => ({ AlarmName: name });

describe('SkeinDashboard', () => {
  it('charts runs, node duration, queues, dead letters and every function on the Skein-<stage> dashboard', () => {
    // Prepare
    const { template } = synthStack('prod');
    // Act
    const dashboard = onlyResource(template, 'AWS::CloudWatch::Dashboard');
    const body = JSON.stringify(dashboard.Properties.DashboardBody);
    // Assess
    expect(dashboard.Properties.DashboardName).toBe('Skein-prod');
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

  it('alarms on each dead-letter queue holding a message and each pool’s oldest message passing 5 minutes', () => {
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
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Threshold: 300,
        ComparisonOperator: 'GreaterThanThreshold',
        Metrics: metric('ApproximateAgeOfOldestMessage', pool.queue),
      });
    }
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      ...alarmNamed('Skein-prod-MonitorStreamDeadLetters'),
      Metrics: metric('ApproximateNumberOfMessagesVisible', stack.monitor.streamFailureQueue),
    });
  });

  it('alarms on errors of each of the six functions, and sends every alarm and recovery to the alarm topic', () => {
    // Prepare / Act
    const { stack, template } = synthStack('prod');
    const alarmTopic = ref(stack, stack.monitor.alarmTopic);
    // Assess
    for (const label of ['Api', 'Authorizer', 'Sweeper', 'Trigger', 'Monitor', 'DefaultWorker']) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        ...alarmNamed(`Skein-prod-${label}Errors`),
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      });
    }
    template.resourceCountIs('AWS::CloudWatch::Alarm', 10);
    template.allResourcesProperties('AWS::CloudWatch::Alarm', {
      AlarmActions: [alarmTopic],
      OKActions: [alarmTopic],
      TreatMissingData: 'notBreaching',
    });
  });
});

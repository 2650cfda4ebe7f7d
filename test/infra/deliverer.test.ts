import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { DELIVERER_BATCH_SIZE, DELIVERER_MAX_RECEIVES } from '../../infra/constructs/deliverer.ts';
import { ENV } from '../../shared/config.ts';
import { getAtt, logicalId, ref, synthStack } from './helpers.ts';

describe('SkeinDeliverer', () => {
  it('consumes its queue in batches with partial failures, the dead-letter queue after repeated failures', () => {
    // Prepare / Act
    const { stack, template } = synthStack('prod');
    // Assess
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: getAtt(stack, stack.deliverer.queue),
      FunctionName: ref(stack, stack.deliverer.handler),
      BatchSize: DELIVERER_BATCH_SIZE,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      RedrivePolicy: {
        deadLetterTargetArn: getAtt(stack, stack.deliverer.deadLetterQueue),
        maxReceiveCount: DELIVERER_MAX_RECEIVES,
      },
      SqsManagedSseEnabled: true,
    });
  });

  it('lets only the events topic send to the queue', () => {
    // Prepare / Act
    const { stack, template } = synthStack('prod');
    // Assess
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [ref(stack, stack.deliverer.queue)],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'AllowEventsTopic',
            Effect: 'Allow',
            Principal: { Service: 'sns.amazonaws.com' },
            Action: 'sqs:SendMessage',
            Condition: { ArnEquals: { 'aws:SourceArn': ref(stack, stack.monitor.eventsTopic) } },
          }),
        ]),
      },
    });
  });

  it('lets the api function bind subscriptions on the events topic only, and tells it the topic and queue', () => {
    // Prepare / Act
    const { stack, template } = synthStack('prod');
    const api = template.toJSON().Resources[logicalId(stack, stack.api.handler)].Properties;
    // Assess
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: Match.arrayWith([Match.objectLike({ Ref: Match.stringLikeRegexp('Api') })]),
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: ['sns:Subscribe', 'sns:Unsubscribe', 'sns:SetSubscriptionAttributes'],
            Resource: ref(stack, stack.monitor.eventsTopic),
          }),
        ]),
      },
    });
    expect(api.Environment.Variables).toMatchObject({
      [ENV.eventsTopicArn]: ref(stack, stack.monitor.eventsTopic),
      [ENV.webhookQueueArn]: getAtt(stack, stack.deliverer.queue),
    });
  });

  it('gives the deliverer its table, queue and the http allow-list', () => {
    // Prepare / Act
    const { stack, template } = synthStack('prod', { httpAllow: ['10.0.0.5:443'] });
    const fn = template.toJSON().Resources[logicalId(stack, stack.deliverer.handler)].Properties;
    // Assess
    expect(fn.Environment.Variables).toMatchObject({
      [ENV.controlTable]: ref(stack, stack.store.controlTable),
      [ENV.queueUrl]: ref(stack, stack.deliverer.queue),
      [ENV.httpAllow]: '10.0.0.5:443',
    });
  });

  it('alarms when the dead-letter queue holds messages', () => {
    // Prepare / Act
    const { stack, template } = synthStack('prod');
    // Assess
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'Skein-prod-WebhooksDeadLetters',
      Metrics: Match.arrayWith([
        Match.objectLike({
          MetricStat: Match.objectLike({
            Metric: Match.objectLike({
              MetricName: 'ApproximateNumberOfMessagesVisible',
              Dimensions: [
                { Name: 'QueueName', Value: getAtt(stack, stack.deliverer.deadLetterQueue, 'QueueName') },
              ],
            }),
          }),
        }),
      ]),
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  });
});

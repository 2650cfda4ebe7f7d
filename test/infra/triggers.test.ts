import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { ENV, MAX_RECEIVE_COUNT } from '../../shared/config.ts';
import { getAtt, logicalId, ref, synthStack } from './helpers.ts';

const policiesOf = (template: ReturnType<typeof synthStack>['template'], role: unknown) =>
  Object.values(template.findResources('AWS::IAM::Policy', { Properties: { Roles: [role] } })).flatMap(
    (policy) => policy.Properties.PolicyDocument.Statement,
  );
const variablesOf = (synthesized: ReturnType<typeof synthStack>, fn: Parameters<typeof logicalId>[1]) =>
  synthesized.template.toJSON().Resources[logicalId(synthesized.stack, fn)].Properties.Environment.Variables;

describe('SkeinTriggers', () => {
  it('gives the trigger function an encrypted, SSL-only queue that redrives to a 14-day dead-letter queue', () => {
    // Prepare / Act
    const { stack, template } = synthStack('prod');
    const { triggers } = stack.engine;
    // Assess
    const resources = template.toJSON().Resources;
    expect(resources[logicalId(stack, triggers.queue)].Properties).toMatchObject({
      SqsManagedSseEnabled: true,
      VisibilityTimeout: 180,
      RedrivePolicy: {
        deadLetterTargetArn: getAtt(stack, triggers.deadLetterQueue),
        maxReceiveCount: MAX_RECEIVE_COUNT,
      },
    });
    expect(resources[logicalId(stack, triggers.deadLetterQueue)].Properties).toMatchObject({
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 14 * 24 * 3600,
    });
    for (const queue of [triggers.queue, triggers.deadLetterQueue]) {
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [ref(stack, queue)],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
    }
  });

  it('alarms when the trigger dead-letter queue holds a message', () => {
    // Prepare / Act
    const { stack, template } = synthStack('prod');
    // Assess
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'Skein-prod-TriggersDeadLetters',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      AlarmActions: [ref(stack, stack.monitor.alarmTopic)],
      Metrics: [
        Match.objectLike({
          MetricStat: Match.objectLike({
            Metric: {
              Namespace: 'AWS/SQS',
              MetricName: 'ApproximateNumberOfMessagesVisible',
              Dimensions: [
                {
                  Name: 'QueueName',
                  Value: getAtt(stack, stack.engine.triggers.deadLetterQueue, 'QueueName'),
                },
              ],
            },
          }),
        }),
      ],
    });
  });

  it('alarms when a cron firing fails to reach the trigger queue, or is dropped', () => {
    // Prepare / Act
    const { stack, template } = synthStack('prod');
    const group = ref(stack, stack.engine.triggers.node.findChild('Group'));
    // Assess
    for (const [name, metric] of [
      ['Skein-prod-CronTargetErrors', 'TargetErrorCount'],
      ['Skein-prod-CronDropped', 'InvocationDroppedCount'],
    ] as const) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: name,
        Threshold: 1,
        Metrics: [
          Match.objectLike({
            MetricStat: Match.objectLike({
              Metric: {
                Namespace: 'AWS/Scheduler',
                MetricName: metric,
                Dimensions: [{ Name: 'ScheduleGroup', Value: group }],
              },
            }),
          }),
        ],
      });
    }
  });

  it('feeds the trigger function batches of 10 with partial failures, and lets it fan out onto its queue', () => {
    // Prepare / Act
    const synthesized = synthStack('prod');
    const { stack, template } = synthesized;
    const { trigger, triggers } = stack.engine;
    // Assess
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: ref(stack, trigger),
      EventSourceArn: getAtt(stack, triggers.queue),
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    expect(variablesOf(synthesized, trigger)).toMatchObject({
      [ENV.triggerQueueUrl]: ref(stack, triggers.queue),
    });
    expect(policiesOf(template, ref(stack, trigger.role as never))).toContainEqual({
      Action: ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'],
      Effect: 'Allow',
      Resource: getAtt(stack, triggers.queue),
    });
  });

  it('gives cron triggers a schedule group with a generated name, deleted with the stack', () => {
    // Prepare / Act
    const { stack, template } = synthStack('prod');
    // Assess
    const group =
      template.toJSON().Resources[
        stack.resolve(
          (stack.engine.triggers.node.findChild('Group') as never as { logicalId: string }).logicalId,
        )
      ];
    expect(group).toMatchObject({ Type: 'AWS::Scheduler::ScheduleGroup', DeletionPolicy: 'Delete' });
    expect(group.Properties.Name).toBeUndefined();
  });

  it('lets Scheduler, for this account only, send to the trigger queue and nothing else', () => {
    // Prepare
    const { stack, template } = synthStack('prod');
    const { triggers } = stack.engine;
    // Act
    const role = template.toJSON().Resources[logicalId(stack, triggers.schedulerRole)];
    const statements = policiesOf(template, ref(stack, triggers.schedulerRole));
    // Assess
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      {
        Action: 'sts:AssumeRole',
        Effect: 'Allow',
        Principal: { Service: 'scheduler.amazonaws.com' },
        Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
      },
    ]);
    expect(statements).toEqual([
      {
        Action: ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'],
        Effect: 'Allow',
        Resource: getAtt(stack, triggers.queue),
      },
    ]);
  });

  it('lets the api, and only the api, keep schedules in the trigger group and pass the Scheduler role', () => {
    // Prepare
    const synthesized = synthStack('prod');
    const { stack, template } = synthesized;
    const { triggers, sweeper, trigger, defaultPool } = stack.engine;
    // Act
    const api = policiesOf(template, ref(stack, stack.api.handler.role as never));
    // Assess
    const schedules = api.find((statement) => JSON.stringify(statement.Action).includes('scheduler:'));
    expect(schedules.Action).toEqual([
      'scheduler:CreateSchedule',
      'scheduler:UpdateSchedule',
      'scheduler:DeleteSchedule',
    ]);
    expect(schedules.Resource['Fn::Join'][1].slice(-3)).toEqual([
      ':schedule/',
      ref(stack, triggers.node.findChild('Group')),
      '/*',
    ]);
    expect(JSON.stringify(api)).toContain(JSON.stringify(getAtt(stack, triggers.schedulerRole)));
    expect(variablesOf(synthesized, stack.api.handler)).toMatchObject({
      [ENV.triggerScheduleGroup]: ref(stack, triggers.node.findChild('Group')),
      [ENV.triggerSchedulerRoleArn]: getAtt(stack, triggers.schedulerRole),
      [ENV.triggerQueueArn]: getAtt(stack, triggers.queue),
    });
    for (const fn of [sweeper, trigger, defaultPool.worker]) {
      const policy = JSON.stringify(policiesOf(template, ref(stack, fn.role as never)));
      expect(policy).not.toContain(JSON.stringify(getAtt(stack, triggers.schedulerRole)));
      expect(policy).not.toContain('scheduler:UpdateSchedule');
    }
  });

  it('creates the Skein bus skein-<stage>, on which this account may put events', () => {
    // Prepare / Act
    const { stack, template } = synthStack('prod');
    const { bus } = stack.engine.triggers;
    // Assess
    template.hasResourceProperties('AWS::Events::EventBus', { Name: 'skein-prod' });
    template.hasResourceProperties('AWS::Events::EventBusPolicy', {
      EventBusName: ref(stack, bus),
      Statement: {
        Sid: Match.stringLikeRegexp('PutEventsFromThisAccount$'),
        Effect: 'Allow',
        Action: 'events:PutEvents',
        Principal: {
          AWS: {
            'Fn::Join': [
              '',
              ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, ':root'],
            ],
          },
        },
        Resource: getAtt(stack, bus),
      },
    });
  });

  it('forwards every event of the Skein bus to the trigger queue as {kind: "event", event}', () => {
    // Prepare / Act
    const { stack, template } = synthStack('prod');
    const { bus, queue, busRule } = stack.engine.triggers;
    // Assess
    template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: ref(stack, bus),
      EventPattern: { source: [{ prefix: '' }] },
      Targets: [
        Match.objectLike({
          Arn: getAtt(stack, queue),
          InputTransformer: { InputPathsMap: { f1: '$' }, InputTemplate: '{"kind":"event","event":<f1>}' },
        }),
      ],
    });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [ref(stack, queue)],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'],
            Principal: { Service: 'events.amazonaws.com' },
            Condition: { ArnEquals: { 'aws:SourceArn': getAtt(stack, busRule) } },
          }),
        ]),
      },
    });
  });

  it('points the workers’ event nodes at the Skein bus, the only bus they may put events on', () => {
    // Prepare
    const synthesized = synthStack('prod');
    const { stack, template } = synthesized;
    const { defaultPool, triggers } = stack.engine;
    // Act
    const statements = policiesOf(template, ref(stack, defaultPool.worker.role as never)).filter(
      (statement) => JSON.stringify(statement.Action).includes('events:'),
    );
    // Assess
    expect(variablesOf(synthesized, defaultPool.worker)).toMatchObject({
      [ENV.eventBusName]: ref(stack, triggers.bus),
    });
    expect(statements).toEqual([
      { Action: 'events:PutEvents', Effect: 'Allow', Resource: getAtt(stack, triggers.bus) },
    ]);
  });
});

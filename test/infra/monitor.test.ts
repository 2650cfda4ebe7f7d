import { Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { SkeinMonitor } from '../../infra/constructs/monitor.ts';
import { SkeinStore } from '../../infra/constructs/store.ts';
import { monitorStreamFilters } from '../../shared/adapters/aws/dynamodb-run-stream.ts';
import { ENV } from '../../shared/config.ts';
import { getAtt, logicalId, ref, synthStack, testApp } from './helpers.ts';

describe('SkeinMonitor', () => {
  it('reads the runs table stream from LATEST, bisecting and retrying failed batches, failures to a queue', () => {
    // Prepare / Act
    const { stack, template } = synthStack('prod');
    // Assess
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: getAtt(stack, stack.store.runsTable, 'StreamArn'),
      FunctionName: ref(stack, stack.monitor.monitor),
      StartingPosition: 'LATEST',
      BatchSize: 100,
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 5,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      DestinationConfig: { OnFailure: { Destination: getAtt(stack, stack.monitor.streamFailureQueue) } },
    });
  });

  it.each([
    [undefined, 'failures'],
    ['all', 'all'],
    ['none', 'none'],
  ] as const)('filters the stream to the records that make events (nodeEvents %s)', (given, level) => {
    // Prepare / Act
    const { stack, template } = synthStack('prod', given === undefined ? {} : { nodeEvents: given });
    const mapping = Object.values(template.findResources('AWS::Lambda::EventSourceMapping')).find(
      (resource) =>
        JSON.stringify(resource.Properties.FunctionName) ===
        JSON.stringify(ref(stack, stack.monitor.monitor)),
    );
    const monitor = template.toJSON().Resources[logicalId(stack, stack.monitor.monitor)].Properties;
    // Assess
    const patterns = mapping?.Properties.FilterCriteria.Filters.map((filter: { Pattern: string }) =>
      JSON.parse(filter.Pattern),
    );
    expect(patterns).toEqual(monitorStreamFilters(level));
    expect(patterns.length).toBeLessThanOrEqual(5); // Lambda's default quota of filters per mapping
    expect(monitor.Environment.Variables).toMatchObject({ [ENV.nodeEvents]: level });
  });

  it('encrypts both topics with a rotated customer key that CloudWatch alarms may use, and refuses non-TLS publishing', () => {
    // Prepare / Act
    const { stack, template } = synthStack('prod');
    const { monitor } = stack;
    // Assess
    template.resourceCountIs('AWS::SNS::Topic', 2);
    template.allResourcesProperties('AWS::SNS::Topic', { KmsMasterKeyId: getAtt(stack, monitor.topicKey) });
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
            Principal: { Service: 'cloudwatch.amazonaws.com' },
          }),
        ]),
      },
    });
    for (const topic of [monitor.eventsTopic, monitor.alarmTopic]) {
      template.hasResourceProperties('AWS::SNS::TopicPolicy', {
        Topics: [ref(stack, topic)],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Action: 'sns:Publish',
              Effect: 'Deny',
              Principal: '*',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
          ]),
        },
      });
    }
  });

  it("lets this account's CloudWatch alarms publish to the alarm topic despite its TLS-only policy", () => {
    // Prepare / Act
    const { stack, template } = synthStack('prod');
    // Assess
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [ref(stack, stack.monitor.alarmTopic)],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'AllowCloudWatchAlarms',
            Action: 'sns:Publish',
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Condition: Match.objectLike({ StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } }),
          }),
        ]),
      },
    });
  });

  it('subscribes the alarmEmail address to the alarm topic, and nobody without it', () => {
    // Prepare / Act
    const withEmail = synthStack('prod', { alarmEmail: 'ops@example.com' });
    const without = synthStack('prod');
    // Assess
    withEmail.template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
      TopicArn: ref(withEmail.stack, withEmail.stack.monitor.alarmTopic),
    });
    without.template.resourceCountIs('AWS::SNS::Subscription', 0);
  });

  it('refuses an alarmEmail that is not an address and shows it', () => {
    // Prepare
    const stack = new Stack(testApp(), 'Monitor');
    const store = new SkeinStore(stack, 'Store', { stage: 'dev' });
    // Act / Assess
    expect(
      () =>
        new SkeinMonitor(stack, 'Monitor', { stage: 'dev', runsTable: store.runsTable, alarmEmail: 'ops' }),
    ).toThrow('alarmEmail must be an e-mail address, got "ops"');
  });
});

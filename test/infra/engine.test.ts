import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { ENV, MAX_RECEIVE_COUNT, START_RUN_EVENT } from '../../shared/config.ts';
import { getAtt, logicalId, ref, synthStack } from './helpers.ts';

const POOLS = [
  { name: 'default' },
  { name: 'gpu-heavy', memoryMb: 4096, timeoutSeconds: 900, maxConcurrency: 5, batchingWindowSeconds: 0 },
];
const twoPools = () => synthStack('prod', { pools: POOLS });

describe('SkeinEngine', () => {
  it('gives each pool an encrypted queue that redrives to a 14-day dead-letter queue after 5 receives', () => {
    // Prepare / Act
    const { stack, template } = twoPools();
    // Assess
    // Two pools × (queue + DLQ), monitor failures, timer DLQ, trigger queue + DLQ, webhooks + DLQ.
    template.resourceCountIs('AWS::SQS::Queue', 10);
    template.allResourcesProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true });
    for (const pool of stack.engine.pools) {
      template.hasResourceProperties('AWS::SQS::Queue', {
        RedrivePolicy: {
          deadLetterTargetArn: getAtt(stack, pool.deadLetterQueue),
          maxReceiveCount: MAX_RECEIVE_COUNT,
        },
      });
      const dlq = template.toJSON().Resources[logicalId(stack, pool.deadLetterQueue)];
      expect(dlq.Properties).toMatchObject({ MessageRetentionPeriod: 14 * 24 * 3600 });
    }
    expect(MAX_RECEIVE_COUNT).toBe(5);
  });

  it('refuses non-TLS access to every queue', () => {
    // Prepare / Act
    const { stack, template } = twoPools();
    // Assess
    for (const pool of stack.engine.pools) {
      for (const queue of [pool.queue, pool.deadLetterQueue]) {
        template.hasResourceProperties('AWS::SQS::QueuePolicy', {
          Queues: [ref(stack, queue)],
          PolicyDocument: {
            Statement: Match.arrayWith([
              Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
            ]),
          },
        });
      }
    }
  });

  it.each([
    ['default', 60, 1, 50, 1024],
    ['gpu-heavy', 900, 0, 5, 4096],
  ])(
    'feeds pool %s’s worker (timeout %i s) batches of 10 with partial failures, and hides messages 6× as long',
    (name, timeout, window, concurrency, memory) => {
      // Prepare
      const { stack, template } = twoPools();
      const pool = stack.engine.pools.find((candidate) => candidate.name === name);
      if (pool === undefined) throw new Error(`no pool ${name}`);
      // Act
      const queue = template.toJSON().Resources[logicalId(stack, pool.queue)];
      const worker = template.toJSON().Resources[logicalId(stack, pool.worker)];
      // Assess
      expect(queue.Properties.VisibilityTimeout).toBeGreaterThanOrEqual(6 * timeout);
      expect(worker.Properties).toMatchObject({ Timeout: timeout, MemorySize: memory });
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        EventSourceArn: getAtt(stack, pool.queue),
        FunctionName: ref(stack, pool.worker),
        BatchSize: 10,
        MaximumBatchingWindowInSeconds: window,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        ScalingConfig: { MaximumConcurrency: concurrency },
      });
    },
  );

  it('tells every engine function the queue name (not URL) of each pool', () => {
    // Prepare
    const { stack, template } = twoPools();
    const [main, heavy] = stack.engine.pools;
    if (main === undefined || heavy === undefined) throw new Error('expected two pools');
    const name = (queue: typeof main.queue) => getAtt(stack, queue, 'QueueName');
    // Act
    const sweeper = template.toJSON().Resources[logicalId(stack, stack.engine.sweeper)];
    // Assess
    expect(sweeper.Properties.Environment.Variables.SKEIN_POOL_QUEUES).toEqual({
      'Fn::Join': ['', ['{"default":"', name(main.queue), '","gpu-heavy":"', name(heavy.queue), '"}']],
    });
  });

  it('runs the sweeper every minute', () => {
    // Prepare / Act
    const { stack, template } = synthStack('prod');
    // Assess
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      State: 'ENABLED',
      Targets: [Match.objectLike({ Arn: getAtt(stack, stack.engine.sweeper) })],
    });
  });

  it('puts skein.start-run events of the default bus on the trigger queue, the event as the message', () => {
    // Prepare / Act
    const { stack, template } = synthStack('prod');
    // Assess
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: [START_RUN_EVENT.source], 'detail-type': [START_RUN_EVENT.detailType] },
      EventBusName: Match.absent(),
      Targets: [
        Match.objectLike({
          Arn: getAtt(stack, stack.engine.triggers.queue),
          Input: Match.absent(),
          InputTransformer: Match.absent(),
          RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86_400 },
        }),
      ],
    });
    template.resourcePropertiesCountIs(
      'AWS::Lambda::Permission',
      { FunctionName: getAtt(stack, stack.engine.trigger) },
      0,
    );
  });

  it('has no Step Functions timer: EventBridge Scheduler one-time schedules replace it', () => {
    // Prepare / Act
    const { template } = synthStack('prod');
    // Assess
    template.resourceCountIs('AWS::StepFunctions::StateMachine', 0);
    // The timer's and the cron triggers' groups.
    template.resourceCountIs('AWS::Scheduler::ScheduleGroup', 2);
    // Schedules are created at run time (workers, the api), never by the template.
    template.resourceCountIs('AWS::Scheduler::Schedule', 0);
  });

  it('gives the timer a schedule group with a generated name, deleted with the stack', () => {
    // Prepare / Act
    const { template } = synthStack('prod');
    // Assess
    template.hasResource('AWS::Scheduler::ScheduleGroup', {
      Properties: Match.objectLike({ Name: Match.absent() }),
      DeletionPolicy: 'Delete',
    });
  });

  it('lets Scheduler, for this account only, send to the pool queues and the timer’s dead-letter queue only', () => {
    // Prepare
    const { stack, template } = twoPools();
    const { timer } = stack.engine;
    // Act
    const role = template.toJSON().Resources[logicalId(stack, timer.role)];
    const statements = Object.values(
      template.findResources('AWS::IAM::Policy', { Properties: { Roles: [ref(stack, timer.role)] } }),
    ).flatMap((policy) => policy.Properties.PolicyDocument.Statement);
    // Assess
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      {
        Action: 'sts:AssumeRole',
        Effect: 'Allow',
        Principal: { Service: 'scheduler.amazonaws.com' },
        Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
      },
    ]);
    const queues = [...stack.engine.pools.map((pool) => pool.queue), timer.deadLetterQueue];
    expect(statements).toEqual(
      queues.map((queue) => ({
        Action: ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'],
        Effect: 'Allow',
        Resource: getAtt(stack, queue),
      })),
    );
  });

  it('lets workers, and only workers, create schedules in the timer’s group, pass its role and put events', () => {
    // Prepare
    const { stack, template } = synthStack('prod');
    const { engine, api } = stack;
    const policyOf = (fn: { role?: unknown }) =>
      Object.values(
        template.findResources('AWS::IAM::Policy', { Properties: { Roles: [ref(stack, fn.role as never)] } }),
      );
    // Act
    const worker = JSON.stringify(policyOf(engine.defaultPool.worker));
    const others = [engine.sweeper, engine.trigger, api.handler].map((fn) => JSON.stringify(policyOf(fn)));
    const timerGroup = JSON.stringify(ref(stack, engine.timer.node.findChild('Group')));
    const timerRole = JSON.stringify(getAtt(stack, engine.timer.role));
    // Assess
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'scheduler:CreateSchedule',
            Resource: {
              'Fn::Join': [
                '',
                Match.arrayWith([':schedule/', { Ref: Match.stringLikeRegexp('^EngineTimerGroup') }, '/*']),
              ],
            },
          }),
          Match.objectLike({ Action: 'iam:PassRole', Resource: getAtt(stack, engine.timer.role) }),
        ]),
      },
      Roles: [ref(stack, engine.defaultPool.worker.role as never)],
    });
    expect(worker).toContain('events:PutEvents');
    expect(worker).toContain(JSON.stringify(getAtt(stack, engine.triggers.bus)));
    expect(worker).not.toContain(':event-bus/default');
    for (const policy of others) {
      // The api keeps cron triggers' schedules: in their own group, with their own role (triggers.test.ts).
      expect(policy).not.toContain(timerGroup);
      expect(policy).not.toContain(timerRole);
      expect(policy).not.toContain('events:PutEvents');
      expect(policy).toContain('sqs:SendMessage');
    }
  });

  it('gives every worker, and only workers, the http allow-list, and none by default', () => {
    // Prepare
    const withList = synthStack('prod', { pools: POOLS, httpAllow: ['Orders.Internal:80', '10.0.3.7:8443'] });
    const without = synthStack('prod');
    const variablesOf = (synthesized: typeof without, fn: { node: unknown }) =>
      synthesized.template.toJSON().Resources[logicalId(synthesized.stack, fn as never)].Properties
        .Environment.Variables as Record<string, string>;
    // Act
    const workers = withList.stack.engine.pools.map((pool) => variablesOf(withList, pool.worker));
    const others = [withList.stack.engine.sweeper, withList.stack.engine.trigger, withList.stack.api.handler];
    // Assess
    for (const variables of workers) {
      expect(variables[ENV.httpAllow]).toBe('orders.internal:80,10.0.3.7:8443');
    }
    for (const fn of others) expect(variablesOf(withList, fn)).not.toHaveProperty(ENV.httpAllow);
    expect(variablesOf(without, without.stack.engine.defaultPool.worker)).not.toHaveProperty(ENV.httpAllow);
  });

  it('gives every function that runs the engine the tenant quota, and none by default', () => {
    // Prepare
    const withQuota = synthStack('prod', { pools: POOLS, tenantMaxActiveRuns: 25 });
    const without = synthStack('prod');
    const variablesOf = (synthesized: typeof without, fn: { node: unknown }) =>
      synthesized.template.toJSON().Resources[logicalId(synthesized.stack, fn as never)].Properties
        .Environment.Variables as Record<string, string>;
    const engineFunctions = (synthesized: typeof without) => [
      ...synthesized.stack.engine.pools.map((pool) => pool.worker),
      synthesized.stack.engine.sweeper,
      synthesized.stack.engine.trigger,
      synthesized.stack.api.handler,
    ];

    // Act
    const quotas = engineFunctions(withQuota).map(
      (fn) => variablesOf(withQuota, fn)[ENV.tenantMaxActiveRuns],
    );
    const none = engineFunctions(without).map((fn) => variablesOf(without, fn)[ENV.tenantMaxActiveRuns]);

    // Assess
    expect(new Set(quotas)).toEqual(new Set(['25']));
    expect(new Set(none)).toEqual(new Set([undefined]));
    expect(() => synthStack('prod', { tenantMaxActiveRuns: 0 })).toThrow('got 0');
  });

  it('refuses an http allow-list entry without a port, showing it', () => {
    expect(() => synthStack('prod', { httpAllow: ['orders.internal'] })).toThrow(
      '"orders.internal" is not host:port',
    );
  });
});

import { Match } from 'aws-cdk-lib/assertions';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import type { SkeinStack } from '../../infra/skein-stack.ts';
import { ENV, METRICS } from '../../shared/config.ts';
import { getAtt, logicalId, ref, synthStack } from './helpers.ts';

/** Each function with its handler name, memory (MB), timeout (s) and the `SKEIN_*` variables it gets. */
const FUNCTIONS = (stack: SkeinStack) => {
  const worker = stack.engine.defaultPool.worker;
  return [
    ['api', stack.api.handler, 1024, 29, ['STAGE', 'DEFINITIONS', 'CONTROL', 'RUNS', 'POOLS']],
    ['authorizer', stack.api.authorizer, 256, 10, ['STAGE', 'CONTROL']],
    ['worker', worker, 1024, 60, ['STAGE', 'DEFINITIONS', 'RUNS', 'POOLS', 'QUEUE', 'TIMER', 'BUS']],
    ['sweeper', stack.engine.sweeper, 512, 60, ['STAGE', 'DEFINITIONS', 'RUNS', 'POOLS']],
    ['trigger', stack.engine.trigger, 512, 30, ['STAGE', 'DEFINITIONS', 'RUNS', 'POOLS']],
    ['monitor', stack.monitor.monitor, 512, 60, ['STAGE', 'RUNS', 'TOPIC']],
  ] as const satisfies readonly (readonly [string, IFunction, number, number, readonly string[]])[];
};

const VARIABLE = {
  STAGE: ENV.stage,
  DEFINITIONS: ENV.definitionsTable,
  CONTROL: ENV.controlTable,
  RUNS: ENV.runsTable,
  POOLS: ENV.poolQueues,
  QUEUE: ENV.queueUrl,
  TIMER: ENV.timerStateMachineArn,
  BUS: ENV.eventBusName,
  TOPIC: ENV.eventsTopicArn,
} as const;

describe('Skein functions', () => {
  it('are six Node.js 24 functions on arm64 with active tracing, bundled as index.mjs', () => {
    // Prepare / Act
    const { template } = synthStack('prod');
    // Assess
    template.resourceCountIs('AWS::Lambda::Function', 6);
    template.allResourcesProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      TracingConfig: { Mode: 'Active' },
      LoggingConfig: { LogGroup: { Ref: Match.anyValue() } },
    });
  });

  it.each(['prod', 'dev'])(
    'give each function its memory, timeout, Powertools settings and stage (%s)',
    (stage) => {
      // Prepare
      const { stack, template } = synthStack(stage);
      for (const [name, fn, memory, timeout] of FUNCTIONS(stack)) {
        // Act
        const properties = template.toJSON().Resources[logicalId(stack, fn)].Properties;
        // Assess
        expect(properties).toMatchObject({ MemorySize: memory, Timeout: timeout });
        expect(properties.Environment.Variables).toMatchObject({
          [ENV.stage]: stage,
          POWERTOOLS_SERVICE_NAME: `skein-${name}`,
          POWERTOOLS_METRICS_NAMESPACE: METRICS.namespace,
          POWERTOOLS_LOG_LEVEL: 'INFO',
          NODE_OPTIONS: '--enable-source-maps',
        });
      }
    },
  );

  it('give each function exactly the SKEIN_ variables its handler reads (see shared/config.ts)', () => {
    // Prepare
    const { stack, template } = synthStack('prod');
    for (const [name, fn, , , variables] of FUNCTIONS(stack)) {
      // Act
      const environment = template.toJSON().Resources[logicalId(stack, fn)].Properties.Environment.Variables;
      const names = Object.keys(environment).filter((key) => key.startsWith('SKEIN_'));
      // Assess
      expect({ name, names: names.sort() }).toEqual({
        name,
        names: variables.map((variable) => VARIABLE[variable]).sort(),
      });
    }
  });

  it('point the variables at the stack’s own tables, queues, timer and topic', () => {
    // Prepare
    const { stack, template } = synthStack('prod');
    const { store, engine, monitor } = stack;
    // Act
    const worker = template.toJSON().Resources[logicalId(stack, engine.defaultPool.worker)];
    const monitorFn = template.toJSON().Resources[logicalId(stack, monitor.monitor)];
    // Assess
    expect(worker.Properties.Environment.Variables).toMatchObject({
      [ENV.definitionsTable]: ref(stack, store.definitionsTable),
      [ENV.runsTable]: ref(stack, store.runsTable),
      [ENV.queueUrl]: ref(stack, engine.defaultPool.queue),
      [ENV.timerStateMachineArn]: ref(stack, engine.timer.stateMachine),
      [ENV.eventBusName]: 'default',
      [ENV.poolQueues]: { 'Fn::Join': ['', ['{"default":"', ref(stack, engine.defaultPool.queue), '"}']] },
    });
    expect(monitorFn.Properties.Environment.Variables[ENV.eventsTopicArn]).toEqual(
      ref(stack, monitor.eventsTopic),
    );
  });

  it.each([
    ['dev', 7, 'Delete'],
    ['prod', 90, 'Retain'],
  ])(
    'write to their own log group (%s: %i days, %s) through a role without managed policies',
    (stage, days, policy) => {
      // Prepare / Act
      const { stack, template } = synthStack(stage);
      // Assess
      template.resourceCountIs('AWS::Logs::LogGroup', 8); // six functions, the timer, API access logs
      template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: days });
      template.allResources('AWS::Logs::LogGroup', { DeletionPolicy: policy });
      template.allResourcesProperties('AWS::IAM::Role', { ManagedPolicyArns: Match.absent() });
      const sweeper = template.toJSON().Resources[logicalId(stack, stack.engine.sweeper)];
      const logGroup = sweeper.Properties.LoggingConfig.LogGroup.Ref;
      template.hasResourceProperties('AWS::IAM::Policy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            {
              Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
              Effect: 'Allow',
              Resource: { 'Fn::GetAtt': [logGroup, 'Arn'] },
            },
          ]),
        },
        Roles: [{ Ref: sweeper.Properties.Role['Fn::GetAtt'][0] }],
      });
    },
  );

  it('let the monitor read run items and publish to the events topic only', () => {
    // Prepare
    const { stack, template } = synthStack('prod');
    const { monitor, store } = stack;
    // Act / Assess
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: Match.arrayWith(['dynamodb:GetItem']),
            Resource: Match.arrayWith([getAtt(stack, store.runsTable)]),
          }),
          Match.objectLike({ Action: 'sns:Publish', Resource: ref(stack, monitor.eventsTopic) }),
        ]),
      },
      Roles: [ref(stack, monitor.monitor.role as NonNullable<IFunction['role']>)],
    });
  });
});

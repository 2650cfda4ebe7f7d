import { Match } from 'aws-cdk-lib/assertions';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import { AUTHORIZER_MEMORY_MB } from '../../infra/constructs/api.ts';
import type { SkeinStack } from '../../infra/skein-stack.ts';
import { ENV, METRICS } from '../../shared/config.ts';
import { getAtt, logicalId, ref, synthStack } from './helpers.ts';

const ENGINE = ['RUNS', 'POOLS', 'URL_PREFIX', 'PAYLOADS'] as const;
const TIMER = ['ARN_PREFIX', 'TIMER_GROUP', 'TIMER_ROLE', 'TIMER_DLQ'] as const;
const TRIGGER_SCHEDULES = ['TRIGGER_GROUP', 'TRIGGER_ROLE', 'TRIGGER_QUEUE_ARN'] as const;

/** Each function with its handler name, memory (MB), timeout (s) and the `SKEIN_*` variables it gets. */
const FUNCTIONS = (stack: SkeinStack) => {
  const worker = stack.engine.defaultPool.worker;
  return [
    [
      'api',
      stack.api.handler,
      1024,
      29,
      [
        'STAGE',
        'DEFINITIONS',
        'CONTROL',
        ...ENGINE,
        'POOL_TIMEOUTS',
        ...TRIGGER_SCHEDULES,
        'TOPIC',
        'WEBHOOK_QUEUE',
      ],
    ],
    ['authorizer', stack.api.authorizer, AUTHORIZER_MEMORY_MB, 10, ['STAGE', 'CONTROL']],
    [
      'worker',
      worker,
      1024,
      60,
      ['STAGE', 'DEFINITIONS', ...ENGINE, 'QUEUE', ...TIMER, 'BUS', 'POOL_TIMEOUTS'],
    ],
    ['sweeper', stack.engine.sweeper, 512, 60, ['STAGE', 'DEFINITIONS', ...ENGINE]],
    [
      'trigger',
      stack.engine.trigger,
      512,
      30,
      ['STAGE', 'DEFINITIONS', ...ENGINE, 'TRIGGER_QUEUE', 'CONTROL', 'TOPIC'],
    ],
    ['monitor', stack.monitor.monitor, 512, 60, ['STAGE', 'RUNS', 'TOPIC', 'NODE_EVENTS']],
    ['deliverer', stack.deliverer.handler, 256, 60, ['STAGE', 'CONTROL', 'QUEUE']],
  ] as const satisfies readonly (readonly [string, IFunction, number, number, readonly string[]])[];
};

const VARIABLE = {
  STAGE: ENV.stage,
  DEFINITIONS: ENV.definitionsTable,
  CONTROL: ENV.controlTable,
  RUNS: ENV.runsTable,
  POOLS: ENV.poolQueues,
  POOL_TIMEOUTS: ENV.poolTimeouts,
  URL_PREFIX: ENV.queueUrlPrefix,
  ARN_PREFIX: ENV.queueArnPrefix,
  QUEUE: ENV.queueUrl,
  TIMER_GROUP: ENV.timerGroup,
  TIMER_ROLE: ENV.timerRoleArn,
  TIMER_DLQ: ENV.timerDeadLetterArn,
  BUS: ENV.eventBusName,
  TRIGGER_QUEUE: ENV.triggerQueueUrl,
  TRIGGER_QUEUE_ARN: ENV.triggerQueueArn,
  TRIGGER_GROUP: ENV.triggerScheduleGroup,
  TRIGGER_ROLE: ENV.triggerSchedulerRoleArn,
  TOPIC: ENV.eventsTopicArn,
  NODE_EVENTS: ENV.nodeEvents,
  WEBHOOK_QUEUE: ENV.webhookQueueArn,
  PAYLOADS: ENV.payloadBucket,
} as const;

describe('Skein functions', () => {
  it('are seven Node.js 24 functions on arm64, bundled as index.mjs', () => {
    // Prepare / Act
    const { template } = synthStack('prod');
    // Assess
    template.resourceCountIs('AWS::Lambda::Function', 7);
    template.allResourcesProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      LoggingConfig: { LogGroup: { Ref: Match.anyValue() } },
    });
  });

  it('trace every function but the per-node workers, whose platform log lines stay at WARN', () => {
    // Prepare / Act
    const { stack, template } = synthStack('prod');
    const resources = template.toJSON().Resources;
    const properties = (fn: IFunction) => resources[logicalId(stack, fn)].Properties;
    const worker = stack.engine.pools[0]?.worker as IFunction;
    // Assess
    for (const fn of [
      stack.api.handler,
      stack.api.authorizer,
      stack.engine.sweeper,
      stack.engine.trigger,
      stack.monitor.monitor,
    ]) {
      expect(properties(fn).TracingConfig).toEqual({ Mode: 'Active' });
      expect(properties(fn).LoggingConfig).not.toHaveProperty('SystemLogLevel');
    }
    expect(properties(worker).TracingConfig).toBeUndefined();
    expect(properties(worker).Environment.Variables).toMatchObject({ POWERTOOLS_TRACE_ENABLED: 'false' });
    expect(properties(worker).LoggingConfig).toMatchObject({
      LogFormat: 'JSON',
      ApplicationLogLevel: 'INFO',
      SystemLogLevel: 'WARN',
    });
  });

  it('trace a pool that asks for it', () => {
    // Prepare / Act
    const { stack, template } = synthStack('prod', { pools: [{ name: 'default', tracing: true }] });
    const worker = stack.engine.pools[0]?.worker as IFunction;
    const properties = template.toJSON().Resources[logicalId(stack, worker)].Properties;
    // Assess
    expect(properties.TracingConfig).toEqual({ Mode: 'Active' });
    expect(properties.Environment.Variables).not.toHaveProperty('POWERTOOLS_TRACE_ENABLED');
    expect(properties.LoggingConfig).toMatchObject({ SystemLogLevel: 'WARN' });
  });

  it.each(['prod', 'dev'])(
    'give each function its memory, timeout, Powertools settings and stage, and no source-map flag (%s)',
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
        });
        expect(properties.Environment.Variables).not.toHaveProperty('NODE_OPTIONS');
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

  it('run the authorizer, in series with the api’s cold start, with the api’s memory', () => {
    // Prepare
    const { stack, template } = synthStack('prod');
    // Act
    const memory = (fn: IFunction) => template.toJSON().Resources[logicalId(stack, fn)].Properties.MemorySize;
    // Assess
    expect(memory(stack.api.authorizer)).toBe(memory(stack.api.handler));
    expect(AUTHORIZER_MEMORY_MB).toBeGreaterThanOrEqual(1024);
  });

  it('point the variables at the stack’s own tables, queue names, timer and topic', () => {
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
      [ENV.timerGroup]: { Ref: expect.stringMatching(/^EngineTimerGroup/) },
      [ENV.timerRoleArn]: getAtt(stack, engine.timer.role),
      [ENV.timerDeadLetterArn]: getAtt(stack, engine.timer.deadLetterQueue),
      [ENV.eventBusName]: ref(stack, engine.triggers.bus),
      // Its own pool's function timeout only; the api gets every pool's.
      [ENV.poolTimeouts]: 'default=60',
      [ENV.poolQueues]: {
        'Fn::Join': ['', ['{"default":"', getAtt(stack, engine.defaultPool.queue, 'QueueName'), '"}']],
      },
      [ENV.queueUrlPrefix]: {
        'Fn::Join': [
          '',
          [
            'https://sqs.',
            { Ref: 'AWS::Region' },
            '.',
            { Ref: 'AWS::URLSuffix' },
            '/',
            { Ref: 'AWS::AccountId' },
            '/',
          ],
        ],
      },
      [ENV.queueArnPrefix]: {
        'Fn::Join': [
          '',
          [
            'arn:',
            { Ref: 'AWS::Partition' },
            ':sqs:',
            { Ref: 'AWS::Region' },
            ':',
            { Ref: 'AWS::AccountId' },
            ':',
          ],
        ],
      },
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
      template.resourceCountIs('AWS::Logs::LogGroup', 8); // seven functions, API access logs
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

  it('give the api every pool’s function timeout and each worker its own, for the node-time checks', () => {
    // Prepare
    const pools = [{ name: 'default' }, { name: 'gpu', timeoutSeconds: 900 }];
    const { stack, template } = synthStack('prod', { pools });
    const variables = (fn: IFunction) =>
      template.toJSON().Resources[logicalId(stack, fn)].Properties.Environment.Variables as Record<
        string,
        unknown
      >;
    // Act
    const [defaultPool, gpuPool] = stack.engine.pools;
    // Assess
    expect(variables(stack.api.handler)[ENV.poolTimeouts]).toBe('default=60,gpu=900');
    expect(variables(defaultPool?.worker as IFunction)[ENV.poolTimeouts]).toBe('default=60');
    expect(variables(gpuPool?.worker as IFunction)[ENV.poolTimeouts]).toBe('gpu=900');
    expect(variables(stack.engine.sweeper)[ENV.poolTimeouts]).toBeUndefined();
  });
});

/** Every IAM policy statement of the template whose actions mention `action`. */
function statementsWith(template: ReturnType<typeof synthStack>['template'], action: string) {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .flatMap(
      (policy) => policy.Properties.PolicyDocument.Statement as { Action: unknown; Resource: unknown }[],
    )
    .filter((statement) => JSON.stringify(statement.Action).includes(action));
}

describe('secrets', () => {
  it('let each worker read its own stage’s tenant secrets in Parameter Store, and nothing else there', () => {
    // Prepare / Act
    const { stack, template } = synthStack('prod');
    const worker = stack.engine.pools[0]?.worker as IFunction;
    const statements = statementsWith(template, 'ssm:');
    // Assess
    expect(statements).toEqual([
      {
        Action: 'ssm:GetParameter',
        Effect: 'Allow',
        Resource: {
          'Fn::Join': [
            '',
            [
              'arn:',
              { Ref: 'AWS::Partition' },
              ':ssm:',
              { Ref: 'AWS::Region' },
              ':',
              { Ref: 'AWS::AccountId' },
              ':parameter/skein/prod/*',
            ],
          ],
        },
      },
    ]);
    expect(worker).toBeDefined();
  });
});

describe('lambda nodes', () => {
  const invokeStatements = (template: ReturnType<typeof synthStack>['template']) =>
    statementsWith(template, 'lambda:InvokeFunction');

  it('may invoke nothing without -c lambdaAllow, and exactly the allowed functions with it', () => {
    // Prepare / Act
    const none = synthStack('prod');
    const some = synthStack('prod', {
      lambdaAllow: ['pricer', 'arn:aws:lambda:eu-west-1:123456789012:function:tax'],
    });
    const worker = some.stack.engine.pools[0]?.worker as IFunction;
    const variables =
      some.template.toJSON().Resources[logicalId(some.stack, worker)].Properties.Environment.Variables;
    // Assess
    expect(invokeStatements(none.template)).toEqual([]);
    expect(invokeStatements(some.template)).toEqual([
      {
        Action: 'lambda:InvokeFunction',
        Effect: 'Allow',
        Resource: [
          {
            'Fn::Join': [
              '',
              [
                'arn:',
                { Ref: 'AWS::Partition' },
                ':lambda:',
                { Ref: 'AWS::Region' },
                ':',
                { Ref: 'AWS::AccountId' },
                ':function:pricer',
              ],
            ],
          },
          'arn:aws:lambda:eu-west-1:123456789012:function:tax',
        ],
      },
    ]);
    expect(variables).toMatchObject({
      [ENV.lambdaAllow]: 'pricer,arn:aws:lambda:eu-west-1:123456789012:function:tax',
    });
    expect(() => synthStack('dev', { lambdaAllow: ['bad name'] })).toThrow(
      'lambdaAllow entries are function names or ARNs, got "bad name"',
    );
  });
});

describe('ai nodes', () => {
  it('are off without -c aiModels, and the worker and api may use exactly the named Bedrock models with it', () => {
    // Prepare / Act
    const statementsOf = (template: ReturnType<typeof synthStack>['template']) =>
      statementsWith(template, 'bedrock:');
    const none = synthStack('prod');
    const some = synthStack('prod', { aiModels: ['anthropic.claude-3-haiku-20240307-v1:0'] });
    const worker = some.stack.engine.pools[0]?.worker as IFunction;
    const variables =
      some.template.toJSON().Resources[logicalId(some.stack, worker)].Properties.Environment.Variables;
    // Assess
    expect(statementsOf(none.template)).toEqual([]);
    // The worker's, and the api's for POST .../generate (test/infra/generate.test.ts).
    expect(statementsOf(some.template)).toHaveLength(2);
    expect(new Set(statementsOf(some.template).map((s) => JSON.stringify(s))).size).toBe(1);
    expect(statementsOf(some.template).slice(1)).toEqual([
      {
        Action: 'bedrock:InvokeModel',
        Effect: 'Allow',
        Resource: {
          'Fn::Join': [
            '',
            [
              'arn:',
              { Ref: 'AWS::Partition' },
              ':bedrock:',
              { Ref: 'AWS::Region' },
              '::foundation-model/anthropic.claude-3-haiku-20240307-v1:0',
            ],
          ],
        },
      },
    ]);
    expect(variables).toMatchObject({ [ENV.aiModels]: 'anthropic.claude-3-haiku-20240307-v1:0' });
    expect(() => synthStack('dev', { aiModels: ['gpt 4'] })).toThrow(
      'aiModels entries are Bedrock model ids',
    );
  });
});

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ENV } from '../../../shared/config.ts';

/** The variables each function gets from the CDK app (besides SKEIN_STAGE). */
const ENGINE = [ENV.definitionsTable, ENV.runsTable, ENV.poolQueues, ENV.queueUrlPrefix, ENV.payloadBucket];
const TIMER = [ENV.queueArnPrefix, ENV.timerGroup, ENV.timerRoleArn, ENV.timerDeadLetterArn];
const NEEDS: Record<string, string[]> = {
  api: [...ENGINE, ENV.controlTable, ENV.poolTimeouts, ENV.eventsTopicArn, ENV.webhookQueueArn],
  authorizer: [ENV.controlTable],
  worker: [...ENGINE, ENV.queueUrl, ...TIMER, ENV.poolTimeouts],
  sweeper: ENGINE,
  trigger: [...ENGINE, ENV.controlTable],
  monitor: [ENV.eventsTopicArn, ENV.runsTable],
  deliverer: [ENV.controlTable, ENV.queueUrl],
  'state-machine-events': [...ENGINE, ENV.stateMachineAllow],
};

const VALUES: Record<string, string> = {
  [ENV.definitionsTable]: 'skein-definitions',
  [ENV.controlTable]: 'skein-control',
  [ENV.runsTable]: 'skein-runs',
  [ENV.poolQueues]: '{"default":"skein-default"}',
  [ENV.queueUrlPrefix]: 'https://sqs.eu-west-1.amazonaws.com/123456789012/',
  [ENV.queueArnPrefix]: 'arn:aws:sqs:eu-west-1:123456789012:',
  [ENV.queueUrl]: 'https://sqs.eu-west-1.amazonaws.com/123456789012/skein-default',
  [ENV.timerGroup]: 'Skein-dev-TimerGroup-AbC',
  [ENV.timerRoleArn]: 'arn:aws:iam::123456789012:role/skein-timer',
  [ENV.timerDeadLetterArn]: 'arn:aws:sqs:eu-west-1:123456789012:skein-timer-dlq',
  [ENV.eventsTopicArn]: 'arn:aws:sns:eu-west-1:123456789012:skein-events',
  [ENV.webhookQueueArn]: 'arn:aws:sqs:eu-west-1:123456789012:skein-webhooks',
  [ENV.poolTimeouts]: 'default=60',
  [ENV.payloadBucket]: 'skein-dev-payloads',
  [ENV.stateMachineAllow]: 'arn:aws:states:eu-west-1:123456789012:stateMachine:orders',
};

function stubOnly(names: readonly string[]) {
  for (const name of Object.values(ENV)) vi.stubEnv(name, '');
  vi.stubEnv('AWS_REGION', 'eu-west-1');
  vi.stubEnv(ENV.stage, 'test');
  for (const name of names) vi.stubEnv(name, VALUES[name] ?? '');
}

beforeEach(() => {
  vi.resetModules();
});

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('the AWS entry points', () => {
  it.each(Object.entries(NEEDS))('builds the %s handler from its own variables only', async (name, needs) => {
    // Prepare
    stubOnly(needs);

    // Act
    const entry = (await import(`../../../functions/${name}.ts`)) as { handler: unknown };

    // Assess
    expect(typeof entry.handler).toBe('function');
  });

  it.each(TIMER)('fails the worker at cold start without the timer’s %s, naming it', async (missing) => {
    // Prepare
    stubOnly(NEEDS.worker?.filter((name) => name !== missing) ?? []);

    // Act
    const importing = import('../../../functions/worker.ts');

    // Assess
    await expect(importing).rejects.toThrow(missing);
  });

  it.each(['api', 'worker', 'sweeper', 'trigger'])(
    'fails the %s at cold start without the payload bucket, naming it',
    async (name) => {
      // Prepare
      stubOnly(NEEDS[name]?.filter((variable) => variable !== ENV.payloadBucket) ?? []);

      // Act
      const importing = import(`../../../functions/${name}.ts`);

      // Assess
      await expect(importing).rejects.toThrow(ENV.payloadBucket);
    },
  );

  it('fails every function at cold start without the stage', async () => {
    // Prepare
    stubOnly(NEEDS.authorizer ?? []);
    vi.stubEnv(ENV.stage, '');

    // Act
    const importing = import('../../../functions/authorizer.ts');

    // Assess
    await expect(importing).rejects.toThrow(ENV.stage);
  });

  it('builds the engine once per cold start', async () => {
    // Prepare
    stubOnly(NEEDS.trigger ?? []);
    const composition = await import('../../../functions/composition/aws-engine.ts');

    // Act
    const [first, second] = [composition.engine(), composition.engine()];

    // Assess
    expect(first).toBe(second);
  });
});

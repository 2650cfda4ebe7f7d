import { describe, expect, it } from 'vitest';
import { awsConfig, ENV, parsePoolQueueNames, parsePoolTimeouts } from '../../../shared/config.ts';
import { payloadThresholdFrom } from '../../../shared/config-payloads.ts';

const pools = '{"default":"Skein-prod-EngineDefaultPoolQueue-AbC","gpu":"Skein-prod-EngineGpuPoolQueue-DeF"}';

describe('awsConfig', () => {
  it('reads each variable when its property is used', () => {
    // Prepare
    const config = awsConfig({
      [ENV.stage]: 'prod',
      [ENV.runsTable]: 'skein-runs',
      [ENV.poolQueues]: pools,
      [ENV.queueUrlPrefix]: 'https://sqs.eu-west-1.amazonaws.com/1/',
      [ENV.queueArnPrefix]: 'arn:aws:sqs:eu-west-1:1:',
      [ENV.eventsTopicArn]: 'arn:aws:sns:eu-west-1:1:skein-events',
    });

    // Act
    const read = {
      stage: config.stage,
      runsTable: config.runsTable,
      pools: config.poolQueues,
      arns: config.poolQueueArns,
      topic: config.eventsTopicArn,
      bus: config.eventBusName,
    };

    // Assess
    expect(read).toEqual({
      stage: 'prod',
      runsTable: 'skein-runs',
      pools: {
        default: 'https://sqs.eu-west-1.amazonaws.com/1/Skein-prod-EngineDefaultPoolQueue-AbC',
        gpu: 'https://sqs.eu-west-1.amazonaws.com/1/Skein-prod-EngineGpuPoolQueue-DeF',
      },
      arns: {
        default: 'arn:aws:sqs:eu-west-1:1:Skein-prod-EngineDefaultPoolQueue-AbC',
        gpu: 'arn:aws:sqs:eu-west-1:1:Skein-prod-EngineGpuPoolQueue-DeF',
      },
      topic: 'arn:aws:sns:eu-west-1:1:skein-events',
      bus: 'default',
    });
  });

  it('names a missing variable only when a function uses it', () => {
    // Prepare
    const config = awsConfig({ [ENV.stage]: 'dev' });

    // Act
    const reading = () => config.timer;

    // Assess
    expect(config.stage).toBe('dev');
    expect(reading).toThrow(`environment variable ${ENV.timerGroup} is not set`);
  });
});

describe('parsePoolQueueNames', () => {
  it.each([
    ['not JSON', '{default:', 'it is not JSON'],
    ['an array', '["q"]', 'got ["q"]'],
    ['without the default pool', '{"gpu":"skein-gpu"}', 'the "default" pool is missing (pools: gpu)'],
    [
      'a URL instead of a name',
      '{"default":"https://sqs.eu-west-1.amazonaws.com/1/q"}',
      'not a queue name (/^[A-Za-z0-9_-]{1,80}$/) for pool(s) "default"',
    ],
    ['a name that is not a string', '{"default":7}', 'not a queue name'],
    ['a name longer than SQS allows', `{"default":"${'q'.repeat(81)}"}`, 'for pool(s) "default"'],
  ])('refuses %s, naming the variable', (_what, raw, message) => {
    // Act
    const parsing = () => parsePoolQueueNames(raw);

    // Assess
    expect(parsing).toThrow(ENV.poolQueues);
    expect(parsing).toThrow(message);
  });
});

describe('parsePoolTimeouts', () => {
  it('reads pool=seconds entries into milliseconds, and is absent when unset', () => {
    expect(parsePoolTimeouts('default=60,gpu-heavy=900')).toEqual({ default: 60_000, 'gpu-heavy': 900_000 });
    expect(awsConfig({ [ENV.stage]: 'dev' }).poolTimeoutsMs).toBeUndefined();
  });

  it.each(['default', 'default=', 'default=1m', 'Default=60', 'default=60;gpu=900'])(
    'refuses %j, naming the variable',
    (raw) => {
      expect(() => parsePoolTimeouts(raw)).toThrow(/SKEIN_POOL_TIMEOUTS must be pool=seconds entries/);
    },
  );
});

describe('SKEIN_NODE_EVENTS', () => {
  it('is failures unless set, and one of none, failures or all', () => {
    expect(awsConfig({}).nodeEvents).toBe('failures');
    expect(awsConfig({ [ENV.nodeEvents]: '' }).nodeEvents).toBe('failures');
    expect(awsConfig({ [ENV.nodeEvents]: 'all' }).nodeEvents).toBe('all');
    expect(() => awsConfig({ [ENV.nodeEvents]: 'some' }).nodeEvents).toThrow(
      'SKEIN_NODE_EVENTS: node events must be one of none, failures, all, got "some"',
    );
  });
});

describe('SKEIN_PAYLOAD_THRESHOLD_BYTES', () => {
  it('is 64 KB unless set, a whole number of bytes from 0 to 300 KB', () => {
    // Prepare
    const of = (raw: string | undefined) => () => payloadThresholdFrom({ [ENV.payloadThresholdBytes]: raw });

    // Act
    const values = [of(undefined)(), of('')(), of('0')(), of('16384')(), of(String(300 * 1024))()];

    // Assess
    expect(values).toEqual([65_536, 65_536, 0, 16_384, 307_200]);
    for (const bad of ['-1', '1.5', 'lots', String(300 * 1024 + 1)]) {
      expect(of(bad)).toThrow(
        `${ENV.payloadThresholdBytes} must be a whole number of bytes from 0 to 307200, got "${bad}"`,
      );
    }
    expect(() => awsConfig({}).payloadBucket).toThrow(ENV.payloadBucket);
  });
});

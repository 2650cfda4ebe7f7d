import { describe, expect, it } from 'vitest';
import { awsConfig, ENV, parsePoolQueues } from '../../../shared/config.ts';

const pools =
  '{"default":"https://sqs.eu-west-1.amazonaws.com/1/skein-default","gpu":"https://sqs.eu-west-1.amazonaws.com/1/skein-gpu"}';

describe('awsConfig', () => {
  it('reads each variable when its property is used', () => {
    // Prepare
    const config = awsConfig({
      [ENV.stage]: 'prod',
      [ENV.runsTable]: 'skein-runs',
      [ENV.poolQueues]: pools,
      [ENV.eventsTopicArn]: 'arn:aws:sns:eu-west-1:1:skein-events',
    });

    // Act
    const read = {
      stage: config.stage,
      runsTable: config.runsTable,
      pools: Object.keys(config.poolQueues),
      topic: config.eventsTopicArn,
      bus: config.eventBusName,
    };

    // Assess
    expect(read).toEqual({
      stage: 'prod',
      runsTable: 'skein-runs',
      pools: ['default', 'gpu'],
      topic: 'arn:aws:sns:eu-west-1:1:skein-events',
      bus: 'default',
    });
  });

  it('names a missing variable only when a function uses it', () => {
    // Prepare
    const config = awsConfig({ [ENV.stage]: 'dev' });

    // Act
    const reading = () => config.timerStateMachineArn;

    // Assess
    expect(config.stage).toBe('dev');
    expect(reading).toThrow(`environment variable ${ENV.timerStateMachineArn} is not set`);
  });
});

describe('parsePoolQueues', () => {
  it.each([
    ['not JSON', '{default:', 'it is not JSON'],
    ['an array', '["https://x"]', 'got ["https://x"]'],
    ['without the default pool', '{"gpu":"https://sqs/gpu"}', 'the "default" pool is missing (pools: gpu)'],
    ['a URL that is not https', '{"default":"sqs/default"}', 'not an https URL for pool(s) "default"'],
    ['a URL that is not a string', '{"default":7}', 'not an https URL for pool(s) "default"'],
  ])('refuses %s, naming the variable', (_what, raw, message) => {
    // Act
    const parsing = () => parsePoolQueues(raw);

    // Assess
    expect(parsing).toThrow(ENV.poolQueues);
    expect(parsing).toThrow(message);
  });
});

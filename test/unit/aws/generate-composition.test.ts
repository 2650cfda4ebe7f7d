import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ENV } from '../../../shared/config.ts';

beforeEach(() => {
  vi.resetModules();
  vi.stubEnv('AWS_REGION', 'eu-west-1');
  vi.stubEnv(ENV.stage, 'test');
});

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('the api’s models for POST .../generate on AWS', () => {
  it('are none without SKEIN_AI_MODELS: the route answers 501', async () => {
    // Prepare
    vi.stubEnv(ENV.aiModels, '');
    // Act
    const { generateModels } = await import('../../../functions/composition/aws-generate.ts');
    // Assess
    expect(generateModels()).toBeUndefined();
  });

  it('are the Bedrock models SKEIN_AI_MODELS names, the first the default, within 25 s', async () => {
    // Prepare
    vi.stubEnv(ENV.aiModels, 'anthropic.claude-3-haiku-20240307-v1:0,amazon.nova-lite-v1:0');
    // Act
    const { generateModels, AWS_GENERATE_TIMEOUT_MS } = await import(
      '../../../functions/composition/aws-generate.ts'
    );
    const generate = generateModels();
    // Assess
    expect(generate?.timeoutMs).toBe(AWS_GENERATE_TIMEOUT_MS);
    expect(AWS_GENERATE_TIMEOUT_MS).toBeLessThan(29_000);
    expect(generate?.models.defaultModel).toBe('anthropic.claude-3-haiku-20240307-v1:0');
    expect(generate?.models.allows('amazon.nova-lite-v1:0')).toBe(true);
    expect(generate?.models.allows('meta.llama3-70b-instruct-v1:0')).toBe(false);
  });
});

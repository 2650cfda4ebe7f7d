/**
 * The api's models for `POST .../generate`: the Bedrock models of `ai` nodes (`SKEIN_AI_MODELS`,
 * CDK context `aiModels`), or none (the route answers 501). API Gateway ends a request at 30 s,
 * so a generation (up to 4 model calls) stops at 25 s with 504 GENERATION_TIMEOUT.
 */
import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { BedrockModels } from '../../shared/adapters/aws/bedrock-models.ts';
import type { ApiDeps } from '../../shared/api/app.ts';
import { aiModelsFrom } from '../../shared/config-executors.ts';
import { tracer } from './aws-common.ts';

export const AWS_GENERATE_TIMEOUT_MS = 25_000;

export function generateModels(): ApiDeps['generate'] {
  const allow = aiModelsFrom();
  if (allow.length === 0) return undefined;
  const client = tracer.captureAWSv3Client(new BedrockRuntimeClient({}));
  return { models: new BedrockModels({ client, allow }), timeoutMs: AWS_GENERATE_TIMEOUT_MS };
}

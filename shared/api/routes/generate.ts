import { Hono } from 'hono';
import { generateDefinition, ModelCallError } from '../../engine/generate-definition.ts';
import type { AiModels } from '../../ports/ai-models.ts';
import type { ApiEnv } from '../auth.ts';
import { parseBody, readBody } from '../body.ts';
import { errorBody } from '../errors.ts';
import { generateBodySchema } from '../template-schemas.ts';

/** How long a generation may take in all (its model calls) unless the deployment says. */
export const DEFAULT_GENERATE_TIMEOUT_MS = 120_000;

export interface GenerateRouteDeps {
  /** The deployment's models (the `ai` node's port); absent: the route answers 501 AI_UNAVAILABLE. */
  readonly models?: AiModels | undefined;
  readonly nodeTypes: { readonly types: readonly string[]; readonly where: string };
  /** @default DEFAULT_GENERATE_TIMEOUT_MS */
  readonly timeoutMs?: number | undefined;
}

/**
 * `POST /v1/tenants/{tenant}/generate {prompt, model?, format?}`: a definition written by the
 * model and validated (`engine/generate-definition.ts`). It is returned, never published.
 */
export function generateRoutes(deps: GenerateRouteDeps) {
  const app = new Hono<ApiEnv>();
  app.post('/generate', async (c) => {
    const models = deps.models;
    if (!models) {
      return c.json(
        errorBody(
          'AI_UNAVAILABLE',
          'workflow generation needs a model, and this deployment has none: locally set SKEIN_AI_BASE_URL (an OpenAI-compatible endpoint), on AWS deploy with -c aiModels=<Bedrock model id>',
        ),
        501,
      );
    }
    const body = parseBody(generateBodySchema, await readBody(c));
    const signal = AbortSignal.timeout(deps.timeoutMs ?? DEFAULT_GENERATE_TIMEOUT_MS);
    try {
      return c.json(await generateDefinition({ models, nodeTypes: deps.nodeTypes }, body, signal));
    } catch (error) {
      if (!(error instanceof ModelCallError)) throw error;
      if (signal.aborted) {
        return c.json(
          errorBody('GENERATION_TIMEOUT', `the model did not finish in time: ${error.message}`),
          504,
        );
      }
      return c.json(errorBody('AI_MODEL_FAILED', error.message), 502);
    }
  });
  return app;
}

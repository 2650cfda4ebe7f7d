import type { LocalAiConfig } from '../config-executors.ts';
import type { AiModels } from '../ports/ai-models.ts';
import { EchoModels, OpenAiModels } from './openai-models.ts';

/**
 * The models of `ai` nodes on this machine, from `localAiFrom()`: the echo model, an
 * OpenAI-compatible endpoint, or none (ai nodes then fail with AI_UNAVAILABLE).
 */
export function localAiModels(config: LocalAiConfig | undefined): AiModels | undefined {
  if (config === undefined) return undefined;
  if (config.provider === 'echo') return new EchoModels();
  return new OpenAiModels({ baseUrl: config.baseUrl, apiKey: config.apiKey, defaultModel: config.model });
}

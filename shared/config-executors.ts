/**
 * The part of the configuration (`config.ts`, which re-exports it) that says what node kinds may
 * reach: secrets, functions and language models. Like `config.ts`, the only place that reads
 * their variables.
 */
import { ENV } from './config.ts';

/**
 * The SSM Parameter Store path of a stage's tenant secrets: tenant `t`'s secret `name` is the
 * parameter `<path><t>/<name>`. The worker reads there; the CDK app grants exactly that path.
 * @example secretsPath('prod') // '/skein/prod/'
 */
export function secretsPath(stage: string): string {
  return `/skein/${stage}/`;
}

/**
 * `SKEIN_LAMBDA_ALLOW` as a list (names or ARNs, comma-separated; empty when unset).
 * @example lambdaAllowFrom({ SKEIN_LAMBDA_ALLOW: 'price, tax' }) // ['price', 'tax']
 */
export function lambdaAllowFrom(env: NodeJS.ProcessEnv = process.env): string[] {
  return commaList(env[ENV.lambdaAllow]);
}

/**
 * `SKEIN_STATE_MACHINE_ALLOW` as a list of state machine ARNs (empty when unset).
 * @example stateMachineAllowFrom({ SKEIN_STATE_MACHINE_ALLOW: 'arn:aws:states:eu-west-1:1:stateMachine:orders' })
 */
export function stateMachineAllowFrom(env: NodeJS.ProcessEnv = process.env): string[] {
  return commaList(env[ENV.stateMachineAllow]);
}

/** `SKEIN_LOCAL_FUNCTIONS` as it is (parsed by `adapters/local-functions.ts`). */
export function localFunctionsFrom(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env[ENV.localFunctions];
}

/** What answers `ai` nodes locally: the echo model, an OpenAI-compatible endpoint, or nothing. */
export type LocalAiConfig =
  | { readonly provider: 'echo' }
  | {
      readonly provider: 'openai';
      readonly baseUrl: string;
      readonly apiKey?: string;
      readonly model?: string;
    };

/**
 * `SKEIN_AI_PROVIDER=echo`, else `SKEIN_AI_BASE_URL` (with `SKEIN_AI_API_KEY`, `SKEIN_AI_MODEL`).
 * @example localAiFrom({ SKEIN_AI_BASE_URL: 'http://localhost:11434/v1', SKEIN_AI_MODEL: 'llama3.1' })
 */
export function localAiFrom(env: NodeJS.ProcessEnv = process.env): LocalAiConfig | undefined {
  const provider = env[ENV.aiProvider];
  if (provider === 'echo') return { provider: 'echo' };
  if (provider !== undefined && provider !== '') {
    throw new Error(`${ENV.aiProvider} must be "echo" (or unset, with ${ENV.aiBaseUrl}), got "${provider}"`);
  }
  const baseUrl = env[ENV.aiBaseUrl];
  if (baseUrl === undefined || baseUrl === '') return undefined;
  const apiKey = env[ENV.aiApiKey];
  const model = env[ENV.aiModel];
  return { provider: 'openai', baseUrl, ...(apiKey ? { apiKey } : {}), ...(model ? { model } : {}) };
}

/** `SKEIN_AI_MODELS` as a list (empty when unset). */
export function aiModelsFrom(env: NodeJS.ProcessEnv = process.env): string[] {
  return commaList(env[ENV.aiModels]);
}

/**
 * The entries of a comma-separated list, trimmed, empty ones dropped (none when absent): the
 * form of these variables and of their CDK context values.
 * @example commaList(' a, ,b ') // ['a', 'b']
 */
export function commaList(raw: string | undefined): string[] {
  return (raw ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
}

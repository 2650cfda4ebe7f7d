import { stringify } from 'yaml';
import { workflowJsonSchema } from '../domain/json-schema.ts';
import { unavailableNodeTypes } from '../domain/node-types.ts';
import { type Problem, SkeinError } from '../domain/problems.ts';
import { parseSource } from '../domain/source.ts';
import { validateParsed } from '../domain/validate.ts';
import type { AiModels } from '../ports/ai-models.ts';

/** Model calls at most: the first answer and 3 repair rounds fed with its validation errors. */
export const MAX_GENERATION_ROUNDS = 4;
/** Tokens the model may answer with: a definition of a few dozen nodes. */
const MAX_ANSWER_TOKENS = 4096;
/** Problems fed back to the model per round (the first ones; the rest are counted). */
const MAX_FED_BACK = 20;

export interface GenerateDeps {
  readonly models: AiModels;
  /** The node types this deployment's workers run: the model is told, and others are errors. */
  readonly nodeTypes: { readonly types: readonly string[]; readonly where: string };
}

export interface GenerateRequest {
  readonly prompt: string;
  /** @default the deployment's default model */
  readonly model?: string | undefined;
  /** @default 'yaml' */
  readonly format?: 'yaml' | 'json' | undefined;
}

/** A definition that passed validation: a draft, never published here. */
export interface GenerateResult {
  /** The definition as text in `format`. */
  readonly definition: string;
  readonly format: 'yaml' | 'json';
  /** Model calls it took: 1 when the first answer was valid. */
  readonly rounds: number;
  readonly valid: true;
  readonly model: string;
}

/** The model could not be called (network, throttling, an endpoint error): the API answers 502. */
export class ModelCallError extends Error {
  constructor(
    readonly model: string,
    cause: unknown,
  ) {
    super(
      `the model "${model}" could not be called: ${cause instanceof Error ? cause.message : String(cause)}`,
    );
    this.name = 'ModelCallError';
  }
}

/**
 * Asks the deployment's model (the `AiModels` port the `ai` node uses) for a workflow definition:
 * the system prompt holds the definition's JSON Schema and the node types this deployment runs;
 * each answer is parsed and validated, and its problems are sent back for at most 3 repair
 * rounds. Returns the first valid definition with the number of rounds; a model that never gives
 * one is a 422 `GENERATION_FAILED` with the last problems in `details`.
 * @example await generateDefinition({ models, nodeTypes }, { prompt: 'fetch a URL every hour' }, signal)
 */
export async function generateDefinition(
  deps: GenerateDeps,
  request: GenerateRequest,
  signal: AbortSignal,
): Promise<GenerateResult> {
  const model = request.model ?? deps.models.defaultModel;
  if (model === undefined) {
    throw new SkeinError(
      'MODEL_REQUIRED',
      'this deployment has no default model: name one in "model"',
      'invalid',
      '$.model',
    );
  }
  if (!deps.models.allows(model)) {
    throw new SkeinError(
      'MODEL_NOT_ALLOWED',
      `model "${model}" is not one this deployment may call; leave "model" out for the default`,
      'unprocessable',
      '$.model',
    );
  }
  const format = request.format ?? 'yaml';
  const system = systemPrompt(deps.nodeTypes);
  let prompt = userPrompt(request.prompt);
  let problems: Problem[] = [];
  for (let round = 1; round <= MAX_GENERATION_ROUNDS; round++) {
    let text: string;
    try {
      const reply = await deps.models.converse(
        { model, system, prompt, maxTokens: MAX_ANSWER_TOKENS, temperature: 0, json: true },
        signal,
      );
      text = reply.text;
    } catch (error) {
      throw new ModelCallError(model, error);
    }
    const checked = check(text, deps.nodeTypes);
    if (checked.ok) {
      const definition =
        format === 'json' ? `${JSON.stringify(checked.value, null, 2)}\n` : stringify(checked.value);
      return { definition, format, rounds: round, valid: true, model };
    }
    problems = checked.problems;
    prompt = repairPrompt(request.prompt, text, problems);
  }
  const [first] = problems;
  throw new SkeinError(
    'GENERATION_FAILED',
    `the model gave no valid definition in ${MAX_GENERATION_ROUNDS} rounds; last problem: ${first?.path ?? '$'}: ${first?.message ?? 'none'}`,
    'unprocessable',
    first?.path,
    problems,
  );
}

/** The answer's definition when it parses and validates, else every problem. */
function check(
  text: string,
  nodeTypes: GenerateDeps['nodeTypes'],
): { ok: true; value: unknown } | { ok: false; problems: Problem[] } {
  const parsed = parseSource(stripFences(text), 'yaml');
  const result = validateParsed(parsed);
  if (!result.valid || !result.definition) return { ok: false, problems: result.errors };
  const unavailable = unavailableNodeTypes(result.definition, nodeTypes.types, nodeTypes.where);
  if (unavailable.length > 0) return { ok: false, problems: unavailable };
  return { ok: true, value: parsed.value };
}

/** Models often wrap their answer in a Markdown code block. */
function stripFences(text: string): string {
  const fenced = /```[a-zA-Z]*\s*\n([\s\S]*?)\n\s*```/.exec(text);
  return (fenced?.[1] ?? text).trim();
}

/** A small valid definition shown to the model (a unit test keeps it valid). */
export const EXAMPLE_DEFINITION = {
  description: 'Fetches a JSON list and counts its items.',
  inputs: { url: { type: 'string', required: true } },
  outputs: { count: '{% $nodes.count.output %}' },
  nodes: {
    fetch: { type: 'http', with: { method: 'GET', url: '{% $inputs.url %}' }, retry: { maxAttempts: 3 } },
    count: {
      type: 'script',
      language: 'js',
      needs: ['fetch'],
      with: { items: '{% $nodes.fetch.output.body %}' },
      code: 'return inputs.items.length;',
    },
  },
};

/** What the model is told once per call: the format (its JSON Schema), the node types, the rules. */
export function systemPrompt(nodeTypes: GenerateDeps['nodeTypes']): string {
  return [
    'You write workflow definitions for Skein, a DAG workflow orchestrator.',
    'Answer with exactly one JSON object: the definition. No prose, no Markdown.',
    'Rules: "nodes" maps node ids to nodes; "needs" lists a node\'s parents; parameters go in "with";',
    'JSONata expressions are written inside {% %} and read $inputs.<name>, $nodes.<id>.output, and $item/$index inside a map;',
    'declare every run input under "inputs" with its type; script nodes take language js or lua and code that returns the output.',
    `Use only these node types, the ones ${nodeTypes.where} runs: ${nodeTypes.types.join(', ')}.`,
    `An example: ${JSON.stringify(EXAMPLE_DEFINITION)}`,
    'The JSON Schema of a definition:',
    JSON.stringify(workflowJsonSchema()),
  ].join('\n');
}

function userPrompt(request: string): string {
  return `Write a Skein workflow definition for this request:\n${request}`;
}

function repairPrompt(request: string, answer: string, problems: readonly Problem[]): string {
  const listed = problems.slice(0, MAX_FED_BACK).map((p) => `- ${p.path}: ${p.message}`);
  const more = problems.length > MAX_FED_BACK ? [`- and ${problems.length - MAX_FED_BACK} more`] : [];
  return [
    userPrompt(request),
    '',
    'Your previous answer was:',
    answer.slice(0, 20_000),
    '',
    'It is not valid. The validator reported:',
    ...listed,
    ...more,
    '',
    'Answer again with the whole corrected definition, as one JSON object only.',
  ].join('\n');
}

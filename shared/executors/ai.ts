import { z } from 'zod';
import type { NodeDefinition } from '../domain/definition-schema.ts';
import type { AiModels } from '../ports/ai-models.ts';
import {
  type ExecutionRequest,
  type ExecutionResult,
  type Executor,
  failure,
  messageOf,
  succeeded,
} from '../ports/executor.ts';

export type AiNode = Extract<NodeDefinition, { type: 'ai' }>;

const withSchema = z
  .object({
    prompt: z.string().min(1).max(100_000),
    system: z.string().max(100_000).optional(),
    maxTokens: z.number().int().min(1).max(8192).default(1024),
    temperature: z.number().min(0).max(1).optional(),
    /** A JSON Schema the answer must match: the output's `json` is the parsed answer. */
    schema: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

/**
 * Runs `ai` nodes: asks the deployment's language model (`model`, or the deployment's default)
 * `with.prompt` (and `with.system`), and outputs `{ model, text, usage }`; with `with.schema` (a
 * JSON Schema) the answer must be JSON matching it, checked with zod (`z.fromJSONSchema`), and
 * the output adds `json`. An answer that does not match is `AI_OUTPUT_INVALID`, retried per the
 * node's policy (a model may comply the next time); a model the deployment does not offer is
 * `AI_NOT_ALLOWED`, no model at all `AI_UNAVAILABLE`, both at once.
 * @example new AiExecutor({ models }).execute({ node: { type: 'ai' }, inputs: { prompt: 'Say hi' }, ctx })
 */
export class AiExecutor implements Executor<AiNode> {
  readonly type = 'ai';

  constructor(private readonly options: { readonly models: AiModels }) {}

  async execute({ node, inputs, ctx }: ExecutionRequest<AiNode>): Promise<ExecutionResult> {
    const { models } = this.options;
    const parsed = withSchema.safeParse(inputs ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return final(
        'AI_INVALID_REQUEST',
        `with.${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'} (node "${ctx.nodeId}")`,
      );
    }
    const request = parsed.data;
    const model = node.model ?? models.defaultModel;
    if (model === undefined) {
      return final(
        'AI_UNAVAILABLE',
        `node "${ctx.nodeId}" asks a language model, and this deployment has none (-c aiModels on AWS, SKEIN_AI_BASE_URL or SKEIN_AI_PROVIDER=echo locally)`,
      );
    }
    if (!models.allows(model)) {
      return final(
        'AI_NOT_ALLOWED',
        `node "${ctx.nodeId}" asks model "${model}", which this deployment does not offer`,
      );
    }
    let answer: z.ZodType | undefined;
    try {
      answer = request.schema === undefined ? undefined : z.fromJSONSchema(request.schema as never);
    } catch (error) {
      return final(
        'AI_SCHEMA_INVALID',
        `with.schema is not a JSON Schema zod can read: ${messageOf(error)} (node "${ctx.nodeId}")`,
      );
    }
    let reply: Awaited<ReturnType<AiModels['converse']>>;
    try {
      reply = await models.converse(
        {
          model,
          system: request.system,
          prompt: request.prompt,
          maxTokens: request.maxTokens,
          temperature: request.temperature,
          json: answer !== undefined,
        },
        ctx.signal,
      );
    } catch (error) {
      return failure(
        'AI_INVOKE_FAILED',
        `model "${model}" did not answer (node "${ctx.nodeId}"): ${messageOf(error)}`,
        true,
      );
    }
    const usage = { inputTokens: reply.inputTokens ?? null, outputTokens: reply.outputTokens ?? null };
    if (answer === undefined) return succeeded({ model, text: reply.text, usage });
    const json = parseJson(reply.text);
    const checked = json.ok ? answer.safeParse(json.value) : undefined;
    if (!checked?.success) {
      const why = json.ok ? (checked?.error.issues[0]?.message ?? 'does not match') : 'is not JSON';
      return failure(
        'AI_OUTPUT_INVALID',
        `model "${model}" answered with something that ${why} against with.schema (node "${ctx.nodeId}")`,
        true,
      );
    }
    return succeeded({ model, text: reply.text, json: checked.data, usage });
  }
}

/** The answer as JSON, a Markdown code fence around it allowed. */
function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  const fenced = /^\s*```(?:json)?\s*([\s\S]*?)\s*```\s*$/i.exec(text);
  try {
    return { ok: true, value: JSON.parse(fenced ? (fenced[1] ?? '') : text) };
  } catch {
    return { ok: false };
  }
}

function final(code: string, message: string): ExecutionResult {
  return { ...failure(code, message), final: true };
}

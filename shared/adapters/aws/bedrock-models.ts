import { type BedrockRuntimeClient, ConverseCommand } from '@aws-sdk/client-bedrock-runtime';
import type { AiModels, AiReply, AiRequest } from '../../ports/ai-models.ts';

/**
 * `ai` nodes on AWS: Amazon Bedrock's Converse API, for the model ids of `-c aiModels` (the first
 * is the default; the CDK app grants the workers `bedrock:InvokeModel` on exactly those).
 * @example new BedrockModels({ client: new BedrockRuntimeClient({}), allow: ['anthropic.claude-3-haiku-20240307-v1:0'] })
 */
export class BedrockModels implements AiModels {
  readonly defaultModel: string | undefined;
  private readonly allowed: ReadonlySet<string>;

  constructor(
    private readonly options: { readonly client: BedrockRuntimeClient; readonly allow: readonly string[] },
  ) {
    this.allowed = new Set(options.allow);
    this.defaultModel = options.allow[0];
  }

  allows(model: string): boolean {
    return this.allowed.has(model);
  }

  async converse(request: AiRequest, signal: AbortSignal): Promise<AiReply> {
    const out = await this.options.client.send(
      new ConverseCommand({
        modelId: request.model,
        ...(request.system === undefined ? {} : { system: [{ text: request.system }] }),
        messages: [{ role: 'user', content: [{ text: request.prompt }] }],
        inferenceConfig: {
          maxTokens: request.maxTokens,
          ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
        },
      }),
      { abortSignal: signal },
    );
    const text = (out.output?.message?.content ?? []).map((block) => block.text ?? '').join('');
    return { text, inputTokens: out.usage?.inputTokens, outputTokens: out.usage?.outputTokens };
  }
}

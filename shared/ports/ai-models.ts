/**
 * Language models for `ai` nodes: Amazon Bedrock's Converse API on AWS
 * (`adapters/aws/bedrock-models.ts`), an OpenAI-compatible endpoint locally
 * (`adapters/openai-models.ts`), or a deterministic echo for tests and demos
 * (`adapters/echo-models.ts`). Off unless a deployment configures one.
 */
export interface AiModels {
  /** Whether `model` may be called here (the deployment's allow-list). */
  allows(model: string): boolean;
  /** The model of an `ai` node that names none. */
  readonly defaultModel?: string | undefined;
  converse(request: AiRequest, signal: AbortSignal): Promise<AiReply>;
}

export interface AiRequest {
  readonly model: string;
  readonly system?: string | undefined;
  readonly prompt: string;
  readonly maxTokens: number;
  readonly temperature?: number | undefined;
  /** The node asks for JSON (it gives an output schema): providers that can, are told so. */
  readonly json: boolean;
}

export interface AiReply {
  readonly text: string;
  readonly inputTokens?: number | undefined;
  readonly outputTokens?: number | undefined;
}

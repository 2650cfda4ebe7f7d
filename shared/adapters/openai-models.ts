import type { AiModels, AiReply, AiRequest } from '../ports/ai-models.ts';

/**
 * `ai` nodes locally: an OpenAI-compatible chat completions endpoint (`SKEIN_AI_BASE_URL`, e.g. a
 * local Ollama or vLLM at `http://localhost:11434/v1`; `SKEIN_AI_API_KEY` when it wants one;
 * `SKEIN_AI_MODEL` the default model). Every model the endpoint serves is allowed.
 * @example new OpenAiModels({ baseUrl: 'http://localhost:11434/v1', defaultModel: 'llama3.1' })
 */
export class OpenAiModels implements AiModels {
  readonly defaultModel: string | undefined;

  constructor(
    private readonly options: {
      readonly baseUrl: string;
      readonly apiKey?: string | undefined;
      readonly defaultModel?: string | undefined;
      readonly fetch?: typeof fetch;
    },
  ) {
    this.defaultModel = options.defaultModel;
  }

  allows(): boolean {
    return true;
  }

  async converse(request: AiRequest, signal: AbortSignal): Promise<AiReply> {
    const call = this.options.fetch ?? fetch;
    const response = await call(`${this.options.baseUrl.replace(/\/$/, '')}/chat/completions`, {
      method: 'POST',
      signal,
      headers: {
        'content-type': 'application/json',
        ...(this.options.apiKey ? { authorization: `Bearer ${this.options.apiKey}` } : {}),
      },
      body: JSON.stringify({
        model: request.model,
        messages: [
          ...(request.system === undefined ? [] : [{ role: 'system', content: request.system }]),
          { role: 'user', content: request.prompt },
        ],
        max_tokens: request.maxTokens,
        ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
        ...(request.json ? { response_format: { type: 'json_object' } } : {}),
      }),
    });
    if (!response.ok)
      throw new Error(`${response.status} ${response.statusText}: ${(await response.text()).slice(0, 500)}`);
    const body = (await response.json()) as {
      choices?: { message?: { content?: string } }[];
      usage?: { prompt_tokens?: number; completion_tokens?: number };
    };
    return {
      text: body.choices?.[0]?.message?.content ?? '',
      inputTokens: body.usage?.prompt_tokens,
      outputTokens: body.usage?.completion_tokens,
    };
  }
}

/**
 * A deterministic model for tests and demos (`SKEIN_AI_PROVIDER=echo`): it answers the prompt
 * back (`echo: <prompt>`), or `{"echo": "<prompt>"}` when JSON is asked for.
 */
export class EchoModels implements AiModels {
  readonly defaultModel = 'echo';

  allows(): boolean {
    return true;
  }

  async converse(request: AiRequest): Promise<AiReply> {
    const text = request.json ? JSON.stringify({ echo: request.prompt }) : `echo: ${request.prompt}`;
    return { text, inputTokens: request.prompt.length, outputTokens: text.length };
  }
}

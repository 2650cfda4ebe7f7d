import { BedrockRuntimeClient, ConverseCommand } from '@aws-sdk/client-bedrock-runtime';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { BedrockModels } from '../../../shared/adapters/aws/bedrock-models.ts';
import { EchoModels, OpenAiModels } from '../../../shared/adapters/openai-models.ts';
import { localAiFrom } from '../../../shared/config-executors.ts';
import { AiExecutor, type AiNode } from '../../../shared/executors/ai.ts';
import { defaultExecutors } from '../../../shared/executors/registry.ts';
import type { AiModels, AiRequest } from '../../../shared/ports/ai-models.ts';
import { WorkflowHarness } from '../../../shared/testing/workflow-harness.ts';
import { testContext } from './test-context.ts';

const ctx = testContext({ nodeId: 'ask' });
const node: AiNode = { type: 'ai' };
/** A model that answers `text` and remembers what it was asked. */
function scripted(text: string, allowed = ['m1']) {
  const asked: AiRequest[] = [];
  const models: AiModels = {
    defaultModel: allowed[0],
    allows: (model) => allowed.includes(model),
    converse: async (request) => {
      asked.push(request);
      return { text, inputTokens: 3, outputTokens: 5 };
    },
  };
  return { models, asked };
}

describe('the ai node', () => {
  it('asks the default model the prompt and outputs the text and the usage', async () => {
    // Prepare
    const { models, asked } = scripted('Hello, Ada!');

    // Act
    const result = await new AiExecutor({ models }).execute({
      node,
      ctx,
      inputs: { prompt: 'Greet Ada', system: 'Be brief', temperature: 0 },
    });

    // Assess
    expect(result).toEqual({
      kind: 'succeeded',
      output: { model: 'm1', text: 'Hello, Ada!', usage: { inputTokens: 3, outputTokens: 5 } },
    });
    expect(asked).toEqual([
      { model: 'm1', system: 'Be brief', prompt: 'Greet Ada', maxTokens: 1024, temperature: 0, json: false },
    ]);
  });

  it('checks a JSON answer against with.schema, code fences allowed, and outputs it as json', async () => {
    // Prepare
    const schema = {
      type: 'object',
      properties: { sentiment: { type: 'string', enum: ['good', 'bad'] } },
      required: ['sentiment'],
    };
    const fenced = scripted('```json\n{"sentiment": "good"}\n```');
    const wrong = scripted('{"sentiment": "meh"}');
    const prose = scripted('It is good.');

    // Act
    const [ok, bad, notJson] = await Promise.all(
      [fenced, wrong, prose].map(({ models }) =>
        new AiExecutor({ models }).execute({ node, ctx, inputs: { prompt: 'Rate it', schema } }),
      ),
    );

    // Assess
    expect(ok).toMatchObject({ kind: 'succeeded', output: { json: { sentiment: 'good' } } });
    expect(fenced.asked[0]?.json).toBe(true);
    expect(bad).toMatchObject({ kind: 'failed', error: { code: 'AI_OUTPUT_INVALID', retryable: true } });
    expect(notJson).toMatchObject({
      error: { code: 'AI_OUTPUT_INVALID', message: expect.stringContaining('is not JSON') },
    });
  });

  it('fails at once without a model, for a model not offered, or for a bad request', async () => {
    // Prepare
    const none = new AiExecutor({ models: { allows: () => false, converse: async () => ({ text: '' }) } });
    const { models } = scripted('x');

    // Act
    const unavailable = await none.execute({ node, ctx, inputs: { prompt: 'p' } });
    const notOffered = await new AiExecutor({ models }).execute({
      node: { type: 'ai', model: 'm9' },
      ctx,
      inputs: { prompt: 'p' },
    });
    const noPrompt = await new AiExecutor({ models }).execute({ node, ctx, inputs: {} });

    // Assess
    expect(unavailable).toMatchObject({ final: true, error: { code: 'AI_UNAVAILABLE' } });
    expect(notOffered).toMatchObject({ final: true, error: { code: 'AI_NOT_ALLOWED' } });
    expect(noPrompt).toMatchObject({ final: true, error: { code: 'AI_INVALID_REQUEST' } });
  });
});

describe('ai models', () => {
  const request: AiRequest = {
    model: 'm1',
    system: 'Be brief',
    prompt: 'Hi',
    maxTokens: 64,
    temperature: 0.2,
    json: true,
  };

  it('call Bedrock Converse with the system, the prompt and the limits, and read the answer and usage', async () => {
    // Prepare
    const bedrock = mockClient(BedrockRuntimeClient);
    bedrock.on(ConverseCommand).resolves({
      output: { message: { role: 'assistant', content: [{ text: '{"ok":' }, { text: 'true}' }] } },
      usage: { inputTokens: 7, outputTokens: 4, totalTokens: 11 },
      stopReason: 'end_turn',
      metrics: { latencyMs: 1 },
    });
    const models = new BedrockModels({
      client: new BedrockRuntimeClient({ region: 'us-east-1' }),
      allow: ['m1', 'm2'],
    });

    // Act
    const reply = await models.converse(request, new AbortController().signal);

    // Assess
    expect(reply).toEqual({ text: '{"ok":true}', inputTokens: 7, outputTokens: 4 });
    expect(bedrock.commandCalls(ConverseCommand)[0]?.args[0].input).toEqual({
      modelId: 'm1',
      system: [{ text: 'Be brief' }],
      messages: [{ role: 'user', content: [{ text: 'Hi' }] }],
      inferenceConfig: { maxTokens: 64, temperature: 0.2 },
    });
    expect([models.defaultModel, models.allows('m2'), models.allows('m3')]).toEqual(['m1', true, false]);
    bedrock.restore();
  });

  it('call an OpenAI-compatible endpoint locally, and echo deterministically', async () => {
    // Prepare
    const sent: { url: string; body: unknown; auth: string | null }[] = [];
    const fakeFetch = (async (url: string, init: RequestInit) => {
      sent.push({
        url,
        body: JSON.parse(String(init.body)),
        auth: new Headers(init.headers).get('authorization'),
      });
      return new Response(
        JSON.stringify({
          choices: [{ message: { content: 'hello' } }],
          usage: { prompt_tokens: 2, completion_tokens: 1 },
        }),
        { status: 200 },
      );
    }) as unknown as typeof fetch;
    const openai = new OpenAiModels({
      baseUrl: 'http://localhost:11434/v1/',
      apiKey: 'k',
      defaultModel: 'llama',
      fetch: fakeFetch,
    });

    // Act
    const reply = await openai.converse(request, new AbortController().signal);
    const echoed = await new EchoModels().converse({ ...request, json: false });

    // Assess
    expect(reply).toEqual({ text: 'hello', inputTokens: 2, outputTokens: 1 });
    expect(sent).toEqual([
      {
        url: 'http://localhost:11434/v1/chat/completions',
        auth: 'Bearer k',
        body: {
          model: 'm1',
          messages: [
            { role: 'system', content: 'Be brief' },
            { role: 'user', content: 'Hi' },
          ],
          max_tokens: 64,
          temperature: 0.2,
          response_format: { type: 'json_object' },
        },
      },
    ]);
    expect(echoed.text).toBe('echo: Hi');
    expect(localAiFrom({ SKEIN_AI_PROVIDER: 'echo' })).toEqual({ provider: 'echo' });
    expect(localAiFrom({})).toBeUndefined();
    expect(() => localAiFrom({ SKEIN_AI_PROVIDER: 'gpt' })).toThrow('SKEIN_AI_PROVIDER must be "echo"');
  });
});

describe('a run with an ai node (the echo model)', () => {
  it('passes the answer on to the next node, and fails at once where no model is configured', async () => {
    // Prepare
    const definition = {
      id: 'ask',
      inputs: { name: { type: 'string', required: true } },
      outputs: { said: '{% $nodes.after.output.said %}' },
      nodes: {
        ask: { type: 'ai', with: { prompt: '{% "Greet " & $inputs.name %}' } },
        after: { type: 'noop', needs: ['ask'], with: { said: '{% $nodes.ask.output.text %}' } },
      },
    };
    const configured = new WorkflowHarness({
      executors: defaultExecutors({ ai: { models: new EchoModels() } }),
    });
    const bare = new WorkflowHarness();
    await configured.publish(definition);
    await bare.publish(definition);

    // Act
    const ok = await configured.run('ask', { name: 'Ada' });
    const off = await bare.run('ask', { name: 'Ada' });

    // Assess
    expect(ok.status).toBe('SUCCEEDED');
    expect(ok.outputs).toEqual({ said: 'echo: Greet Ada' });
    expect(off.nodes.ask).toMatchObject({ status: 'FAILED', attempts: 1, error: { code: 'AI_UNAVAILABLE' } });
  });
});

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { LambdaInvoker } from '../../../shared/adapters/aws/lambda-invoker.ts';
import { LocalFunctions, parseLocalFunctions } from '../../../shared/adapters/local-functions.ts';
import { LambdaExecutor, type LambdaNode } from '../../../shared/executors/lambda.ts';
import type { FunctionInvoker } from '../../../shared/ports/function-invoker.ts';
import { testContext } from './test-context.ts';

const ctx = testContext({ nodeId: 'price', attempt: 2 });
const node: LambdaNode = { type: 'lambda', function: 'pricer' };
const invoker = (behaviour: FunctionInvoker['invoke'], allowed = ['pricer']): FunctionInvoker => ({
  allows: (fn) => allowed.includes(fn),
  invoke: behaviour,
});

describe('the lambda node', () => {
  it('invokes the function with the evaluated with and takes its result as the output', async () => {
    // Prepare
    const calls: unknown[] = [];
    const executor = new LambdaExecutor({
      invoker: invoker(async (fn, payload, options) => {
        calls.push({ fn, payload, key: options.idempotencyKey });
        return { ok: true, output: { total: 12 } };
      }),
    });

    // Act
    const result = await executor.execute({ node, inputs: { amount: 10 }, ctx });

    // Assess
    expect(result).toEqual({ kind: 'succeeded', output: { total: 12 } });
    expect(calls).toEqual([{ fn: 'pricer', payload: { amount: 10 }, key: 'run-1/price/2' }]);
  });

  it('fails at once for a function the deployment does not allow, and retryably for a failure or an invoke error', async () => {
    // Prepare
    const refusing = new LambdaExecutor({ invoker: invoker(async () => ({ ok: true, output: 1 }), []) });
    const throwing = new LambdaExecutor({
      invoker: invoker(async () => ({ ok: false, errorType: 'RangeError', message: 'amount < 0' })),
    });
    const throttled = new LambdaExecutor({
      invoker: invoker(async () => {
        throw Object.assign(new Error('Rate exceeded'), { name: 'TooManyRequestsException' });
      }),
    });

    // Act
    const [notAllowed, failed, unreachable] = await Promise.all(
      [refusing, throwing, throttled].map((executor) => executor.execute({ node, inputs: {}, ctx })),
    );

    // Assess
    expect(notAllowed).toMatchObject({ kind: 'failed', final: true, error: { code: 'LAMBDA_NOT_ALLOWED' } });
    expect(failed).toMatchObject({
      error: {
        code: 'LAMBDA_FUNCTION_ERROR',
        message: 'function "pricer" failed (RangeError): amount < 0',
        retryable: true,
      },
    });
    expect(unreachable).toMatchObject({ error: { code: 'LAMBDA_INVOKE_FAILED', retryable: true } });
  });
});

describe('LambdaInvoker (AWS)', () => {
  it('invokes RequestResponse with the JSON payload and the key in the client context, and reads a function error', async () => {
    // Prepare
    const lambda = mockClient(LambdaClient);
    lambda
      .on(InvokeCommand, { FunctionName: 'pricer' })
      .resolves({ StatusCode: 200, Payload: new TextEncoder().encode('{"total":12}') as never });
    lambda.on(InvokeCommand, { FunctionName: 'broken' }).resolves({
      StatusCode: 200,
      FunctionError: 'Unhandled',
      Payload: new TextEncoder().encode('{"errorType":"TypeError","errorMessage":"x is undefined"}') as never,
    });
    const aws = new LambdaInvoker({
      client: new LambdaClient({ region: 'eu-west-1' }),
      allow: ['pricer', 'broken'],
    });
    const options = { signal: new AbortController().signal, idempotencyKey: 'r/n/1' };

    // Act
    const ok = await aws.invoke('pricer', { amount: 10 }, options);
    const failed = await aws.invoke('broken', {}, options);

    // Assess
    expect(ok).toEqual({ ok: true, output: { total: 12 } });
    expect(failed).toEqual({ ok: false, errorType: 'TypeError', message: 'x is undefined' });
    const input = lambda.commandCalls(InvokeCommand)[0]?.args[0].input;
    expect(input).toMatchObject({ FunctionName: 'pricer', InvocationType: 'RequestResponse' });
    expect(JSON.parse(new TextDecoder().decode(input?.Payload as Uint8Array))).toEqual({ amount: 10 });
    expect(JSON.parse(Buffer.from(input?.ClientContext as string, 'base64').toString())).toEqual({
      custom: { idempotencyKey: 'r/n/1' },
    });
    expect([aws.allows('pricer'), aws.allows('other')]).toEqual([true, false]);
    lambda.restore();
  });
});

describe('LocalFunctions', () => {
  it('calls the handler module a name maps to, and reports a thrown error as the function’s', async () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'skein-fns-'));
    writeFileSync(
      join(dir, 'pricer.mjs'),
      'export async function handler(event, context) { if (event.amount < 0) throw new RangeError("amount < 0"); return { total: event.amount * 1.2, key: context.clientContext.custom.idempotencyKey }; }\n',
    );
    const local = new LocalFunctions(parseLocalFunctions(`pricer=${join(dir, 'pricer.mjs')}`));
    const options = { signal: new AbortController().signal, idempotencyKey: 'r/n/1' };

    // Act / Assess
    expect(await local.invoke('pricer', { amount: 10 }, options)).toEqual({
      ok: true,
      output: { total: 12, key: 'r/n/1' },
    });
    expect(await local.invoke('pricer', { amount: -1 }, options)).toEqual({
      ok: false,
      errorType: 'RangeError',
      message: 'amount < 0',
    });
    expect([local.allows('pricer'), local.allows('other')]).toEqual([true, false]);
    expect(() => parseLocalFunctions('pricer')).toThrow(
      'SKEIN_LOCAL_FUNCTIONS entries are name=path, got "pricer"',
    );
  });
});

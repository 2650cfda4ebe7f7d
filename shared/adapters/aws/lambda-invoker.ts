import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import type { FunctionInvoker, InvokeOptions, InvokeResult } from '../../ports/function-invoker.ts';

/**
 * `lambda` nodes on AWS: a synchronous Invoke (RequestResponse) of an allow-listed function (the
 * names or ARNs of `-c lambdaAllow`, which the CDK app also grants to the workers), the payload as
 * JSON, the idempotency key in the client context. A function error (`FunctionError`) is the
 * function's failure; an SDK error (throttling, a timeout) is thrown for the executor to retry.
 * @example new LambdaInvoker({ client: new LambdaClient({}), allow: ['price', 'arn:aws:lambda:eu-west-1:1:function:tax'] })
 */
export class LambdaInvoker implements FunctionInvoker {
  private readonly allowed: ReadonlySet<string>;

  constructor(
    private readonly options: { readonly client: LambdaClient; readonly allow: readonly string[] },
  ) {
    this.allowed = new Set(options.allow);
  }

  allows(fn: string): boolean {
    return this.allowed.has(fn);
  }

  async invoke(fn: string, payload: unknown, options: InvokeOptions): Promise<InvokeResult> {
    const out = await this.options.client.send(
      new InvokeCommand({
        FunctionName: fn,
        InvocationType: 'RequestResponse',
        Payload: new TextEncoder().encode(JSON.stringify(payload)),
        ClientContext: Buffer.from(
          JSON.stringify({ custom: { idempotencyKey: options.idempotencyKey } }),
        ).toString('base64'),
      }),
      { abortSignal: options.signal },
    );
    const text = out.Payload ? new TextDecoder().decode(out.Payload) : '';
    const body = text === '' ? null : parse(text);
    if (out.FunctionError !== undefined) {
      const error = (body ?? {}) as { errorType?: unknown; errorMessage?: unknown };
      return {
        ok: false,
        errorType: typeof error.errorType === 'string' ? error.errorType : out.FunctionError,
        message: typeof error.errorMessage === 'string' ? error.errorMessage : text.slice(0, 1000),
      };
    }
    return { ok: true, output: body };
  }
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

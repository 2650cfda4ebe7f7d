/**
 * Calls a function with a JSON payload and returns its JSON result: AWS Lambda on AWS
 * (`adapters/aws/lambda-invoker.ts`), a handler module on this machine locally
 * (`adapters/local-functions.ts`). The `lambda` node type runs through it.
 */
export interface FunctionInvoker {
  /**
   * Whether `fn` (a name or an ARN) may be called at all: the deployment's allow-list. A node
   * naming another function fails at once, without a call.
   */
  allows(fn: string): boolean;
  invoke(fn: string, payload: unknown, options: InvokeOptions): Promise<InvokeResult>;
}

export interface InvokeOptions {
  readonly signal: AbortSignal;
  /** `run/node/attempt`: passed to the function (AWS: in the client context) so it can deduplicate. */
  readonly idempotencyKey: string;
}

export type InvokeResult =
  | { readonly ok: true; readonly output: unknown }
  /** The function ran and failed (a thrown error): its type and message. */
  | { readonly ok: false; readonly errorType: string; readonly message: string };

import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { FunctionInvoker, InvokeOptions, InvokeResult } from '../ports/function-invoker.ts';

/**
 * `lambda` nodes on one machine: each allowed function name maps to a module exporting
 * `handler(event, context)`, as a Lambda function's does (`SKEIN_LOCAL_FUNCTIONS=price=./fns/price.mjs`).
 * The module runs in the worker's own process: it is the operator's code, like a deployed
 * function, not a tenant's (tenant code runs in `script` nodes, in the sandbox). A thrown error
 * is the function's failure, its name and message kept as Lambda reports them.
 * @example new LocalFunctions(parseLocalFunctions('price=./fns/price.mjs'))
 */
export class LocalFunctions implements FunctionInvoker {
  constructor(private readonly modules: Readonly<Record<string, string>>) {}

  allows(fn: string): boolean {
    return Object.hasOwn(this.modules, fn);
  }

  async invoke(fn: string, payload: unknown, options: InvokeOptions): Promise<InvokeResult> {
    const path = this.modules[fn] as string;
    const module = (await import(pathToFileURL(resolve(path)).href)) as { handler?: unknown };
    if (typeof module.handler !== 'function') {
      throw new Error(`${path} exports no handler function`);
    }
    const context = {
      functionName: fn,
      clientContext: { custom: { idempotencyKey: options.idempotencyKey } },
    };
    try {
      const output: unknown = await (module.handler as (event: unknown, context: unknown) => unknown)(
        structuredClone(payload),
        context,
      );
      return { ok: true, output: output === undefined ? null : JSON.parse(JSON.stringify(output)) };
    } catch (error) {
      const { name, message } = error instanceof Error ? error : { name: 'Error', message: String(error) };
      return { ok: false, errorType: name, message };
    }
  }
}

/**
 * Reads `name=path,...` (`SKEIN_LOCAL_FUNCTIONS`); a malformed entry throws showing it.
 * @example parseLocalFunctions('price=./fns/price.mjs') // { price: './fns/price.mjs' }
 */
export function parseLocalFunctions(raw: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of (raw ?? '')
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)) {
    const [name, path] = entry.split('=');
    if (!name || !path || entry.split('=').length !== 2) {
      throw new Error(`SKEIN_LOCAL_FUNCTIONS entries are name=path, got "${entry}"`);
    }
    out[name.trim()] = path.trim();
  }
  return out;
}

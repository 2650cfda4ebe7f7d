import type { AiModels } from '../ports/ai-models.ts';
import type { ExecutorRegistry } from '../ports/executors.ts';
import type { FunctionInvoker } from '../ports/function-invoker.ts';
import type { StateMachines } from '../ports/state-machines.ts';
import { AiExecutor } from './ai.ts';
import { EventExecutor, type EventExecutorOptions } from './event.ts';
import { flowExecutors } from './flow.ts';
import { HttpExecutor, type HttpExecutorOptions } from './http.ts';
import { LambdaExecutor } from './lambda.ts';
import { NoopExecutor } from './noop.ts';
import { ScriptExecutor, type ScriptExecutorOptions } from './script.ts';
import { StepFunctionsExecutor } from './stepfunctions.ts';

export interface DefaultExecutorOptions {
  readonly script?: ScriptExecutorOptions;
  /** The SSRF guard's allow-list (`host:port`) and, locally, the store's and queue's ports. */
  readonly http?: HttpExecutorOptions;
  /** The `event` node type, registered only with a publisher (the AWS composition passes EventBridge). */
  readonly event?: EventExecutorOptions;
  /** Where `lambda` nodes call functions. @default none allowed: a lambda node fails with LAMBDA_NOT_ALLOWED */
  readonly lambda?: { readonly invoker: FunctionInvoker };
  /** What answers `ai` nodes. @default none: an ai node fails with AI_UNAVAILABLE */
  readonly ai?: { readonly models: AiModels };
  /**
   * Where `stepfunctions` nodes start executions, registered only with one (the AWS composition
   * passes Step Functions with the `-c stateMachineAllow` list; tests pass the memory stand-in).
   */
  readonly stepFunctions?: { readonly machines: StateMachines };
}

/** No model: a deployment that configures none. */
const NO_MODELS: AiModels = {
  allows: () => false,
  converse: async () => {
    throw new Error('no language model is configured here');
  },
};

/** No function may be called: a deployment without an allow-list. */
const NO_FUNCTIONS: FunctionInvoker = {
  allows: () => false,
  invoke: async () => {
    throw new Error('no function may be called here');
  },
};

/**
 * The executors a worker runs nodes with: the flow kinds (`condition`, `wait`) and the ones that
 * do the work; a new node type adds one line here.
 * @example defaultExecutors({ script: { timeoutMs: 5000 } }).get('script')
 */
export function defaultExecutors(options: DefaultExecutorOptions = {}): ExecutorRegistry {
  const registry = flowExecutors()
    .register(new NoopExecutor())
    .register(new ScriptExecutor(scriptOptions(options)))
    .register(new HttpExecutor(options.http))
    .register(new LambdaExecutor({ invoker: options.lambda?.invoker ?? NO_FUNCTIONS }))
    .register(new AiExecutor({ models: options.ai?.models ?? NO_MODELS }));
  if (options.stepFunctions) registry.register(new StepFunctionsExecutor(options.stepFunctions));
  return options.event ? registry.register(new EventExecutor(options.event)) : registry;
}

/** The script executor masks the secrets the http executor may send: same store unless set apart. */
function scriptOptions(options: DefaultExecutorOptions): ScriptExecutorOptions | undefined {
  const secrets = options.script?.secrets ?? options.http?.secrets;
  return secrets === undefined ? options.script : { ...options.script, secrets };
}

// Runs the bench/asl.ts machines on aws-local-stepfunctions, an in-process emulator of the Step
// Functions interpreter: it measures the interpreter's own overhead, not the AWS service's latency.
import { performance } from 'node:perf_hooks';
import type { AslJson, AslStateMachine } from './asl.ts';

type LocalStepFunctions = typeof import('aws-local-stepfunctions');
type Definition = ConstructorParameters<LocalStepFunctions['StateMachine']>[0];

interface WithResolvers {
  withResolvers?: <T>() => {
    promise: Promise<T>;
    resolve: (value: T | PromiseLike<T>) => void;
    reject: (reason?: unknown) => void;
  };
}

/**
 * Adds `Promise.withResolvers` (Node 22) when it is missing: aws-local-stepfunctions 3 calls it
 * for Task timeouts and targets Node 22, while Skein runs on Node 20. Idempotent.
 */
export function installPromiseWithResolvers(): void {
  const promise = Promise as PromiseConstructor & WithResolvers;
  if (typeof promise.withResolvers === 'function') return;
  Object.defineProperty(Promise, 'withResolvers', {
    configurable: true,
    writable: true,
    value: <T>() => {
      let resolve!: (value: T | PromiseLike<T>) => void;
      let reject!: (reason?: unknown) => void;
      const created = new Promise<T>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise: created, resolve, reject };
    },
  });
}

let loaded: Promise<LocalStepFunctions> | undefined;

/** Installs the polyfill, then imports aws-local-stepfunctions (once). */
export function loadLocalStepFunctions(): Promise<LocalStepFunctions> {
  installPromiseWithResolvers();
  loaded ??= import('aws-local-stepfunctions');
  return loaded;
}

/** Options of `runOnLocalStepFunctions`. */
export interface LocalRunOptions {
  /** Untimed executions first, so the JIT and module caches are warm; 1 by default. */
  readonly warmupRuns?: number;
}

/**
 * Executes `asl` on `input` `runs` times, one after the other, and returns each execution's
 * duration in milliseconds (`performance.now()` around `run(input).result`). The machine is built
 * (and validated) once, outside the timings; an execution that fails throws.
 * @example const ms = await runOnLocalStepFunctions(diamondAsl().definition, {}, 200);
 */
export async function runOnLocalStepFunctions(
  asl: AslStateMachine,
  input: AslJson,
  runs: number,
  options: LocalRunOptions = {},
): Promise<number[]> {
  const { StateMachine } = await loadLocalStepFunctions();
  const machine = new StateMachine(asl satisfies Definition);
  for (let i = 0; i < (options.warmupRuns ?? 1); i++) await machine.run(input).result;
  const durations: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await machine.run(input).result;
    durations.push(performance.now() - start);
  }
  return durations;
}

/**
 * Runs `asl` once on the emulator and counts its `StateEntered` events, nested Map iterations and
 * Parallel branches included: the events Step Functions Standard bills, to check
 * `standardTransitions` (inline Map states only: the emulator has no child executions).
 * @example await countStateEntered(diamondAsl().definition, {}) // 5
 */
export async function countStateEntered(asl: AslStateMachine, input: AslJson): Promise<number> {
  const { StateMachine } = await loadLocalStepFunctions();
  const execution = new StateMachine(asl satisfies Definition).run(input);
  let entered = 0;
  for await (const event of execution.eventLogs) {
    if (event.type === 'StateEntered') entered += 1;
  }
  await execution.result;
  return entered;
}

// The Amazon States Language machine a Step Functions user would write for each shape of
// bench/shapes.ts, and the state transitions Step Functions Standard bills for one execution.
import type { Shape } from './shapes.ts';

/** A JSON value, as state input and output. */
export type AslJson = null | boolean | number | string | AslJson[] | { [key: string]: AslJson };

/** A state either names the next one or ends its machine. */
type Transition = { Next: string; End?: never } | { End: true; Next?: never };

export type AslPassState = { Type: 'Pass'; Result?: AslJson; Comment?: string } & Transition;
export type AslParallelState = {
  Type: 'Parallel';
  Branches: AslStateMachine[];
  Comment?: string;
} & Transition;
export type MapMode = 'INLINE' | 'DISTRIBUTED';
export type AslMapState = {
  Type: 'Map';
  /** A JSONPath of the form `$` or `$.a.b` selecting the items. */
  ItemsPath?: string;
  /** 0 means "as many as possible": up to 40 for an inline Map on AWS (and in aws-local-stepfunctions). */
  MaxConcurrency?: number;
  ItemProcessor: AslStateMachine & {
    ProcessorConfig?: { Mode: MapMode; ExecutionType?: 'STANDARD' | 'EXPRESS' };
  };
  Comment?: string;
} & Transition;
export type AslState = AslPassState | AslParallelState | AslMapState;

/** The subset of the Amazon States Language the benchmark uses: Pass, Parallel and Map states. */
export interface AslStateMachine {
  Comment?: string;
  StartAt: string;
  States: Record<string, AslState>;
}

/** A state machine with the input of one benchmark execution. */
export interface AslShape {
  /** The name of the matching Skein shape (`chain-1000`, …). */
  readonly name: string;
  readonly definition: AslStateMachine;
  readonly input: AslJson;
  /** Workflow nodes the machine stands for: the Skein shape's nodes minus its helper joins. */
  readonly nodes: number;
  /** Transitions Step Functions Standard bills per execution: `standardTransitions(definition, input)`. */
  readonly transitions: number;
}

/** How Map states are written: inline (the default) or distributed with Standard child executions. */
export interface MapOptions {
  /** `MaxConcurrency` of the Map state; 0 (the default) is "unbounded" (40 for an inline Map). */
  readonly maxConcurrency?: number;
  readonly mode?: MapMode;
}

const pass = (next?: string): AslPassState =>
  next ? { Type: 'Pass', Next: next } : { Type: 'Pass', End: true };

function aslShape(name: string, definition: AslStateMachine, input: AslJson, nodes: number): AslShape {
  return { name, definition, input, nodes, transitions: standardTransitions(definition, input) };
}

/**
 * `a`, a Parallel state whose two branches are the Pass states `b` and `c`, then `d`: 5 transitions.
 * @example diamondAsl().transitions // 5
 */
export function diamondAsl(): AslShape {
  const branch = (name: string): AslStateMachine => ({ StartAt: name, States: { [name]: pass() } });
  const definition: AslStateMachine = {
    Comment: 'a → (b, c) → d',
    StartAt: 'a',
    States: {
      a: pass('b_c'),
      b_c: { Type: 'Parallel', Branches: [branch('b'), branch('c')], Next: 'd' },
      d: pass(),
    },
  };
  return aslShape('diamond', definition, {}, 4);
}

/**
 * n Pass states in sequence, `n0 → … → n{n-1}`: n transitions.
 * @example chainAsl(1000).transitions // 1000
 */
export function chainAsl(n: number): AslShape {
  const States: Record<string, AslState> = {};
  for (let i = 0; i < n; i++) States[`n${i}`] = pass(i < n - 1 ? `n${i + 1}` : undefined);
  return aslShape(`chain-${n}`, { Comment: `${n} states in a line`, StartAt: 'n0', States }, {}, n);
}

function mapState(options: MapOptions, next?: string): AslMapState {
  const mode = options.mode ?? 'INLINE';
  const map = {
    Type: 'Map' as const,
    ItemsPath: '$.items',
    MaxConcurrency: options.maxConcurrency ?? 0,
    ItemProcessor: {
      ProcessorConfig:
        mode === 'INLINE' ? { Mode: mode } : { Mode: mode, ExecutionType: 'STANDARD' as const },
      StartAt: 'work',
      States: { work: pass() },
    },
  };
  return next ? { ...map, Next: next } : { ...map, End: true };
}

const items = (count: number): AslJson => ({ items: Array.from({ length: count }, (_, i) => i) });

/**
 * `start`, a Map over n items whose processor is one Pass state, then `end`: n + 3 transitions
 * inline (2n + 3 distributed). Skein needs intermediate joins for the same graph; Step Functions does not.
 * @example fanOutInAsl(1000).transitions // 1003
 */
export function fanOutInAsl(n: number, options: MapOptions = {}): AslShape {
  const definition: AslStateMachine = {
    Comment: `1 → ${n} → 1`,
    StartAt: 'start',
    States: { start: pass('fan'), fan: mapState(options, 'end'), end: pass() },
  };
  return aslShape(`fan-out-in-${n}`, definition, items(n), n + 2);
}

/**
 * `root`, then a Map over the n − 1 leaves whose processor is one Pass state: n + 1 transitions
 * inline (2n distributed).
 * @example fanOutAsl(10_000).transitions // 10001
 */
export function fanOutAsl(n: number, options: MapOptions = {}): AslShape {
  const definition: AslStateMachine = {
    Comment: `1 → ${n - 1}`,
    StartAt: 'root',
    States: { root: pass('leaves'), leaves: mapState(options) },
  };
  return aslShape(`fan-out-${n}`, definition, items(n - 1), n);
}

/**
 * The machine matching a Skein shape of bench/shapes.ts.
 * @example aslFor(chain(1000)).transitions // 1000
 */
export function aslFor(shape: Shape, options: MapOptions = {}): AslShape {
  switch (shape.kind) {
    case 'diamond':
      return diamondAsl();
    case 'chain':
      return chainAsl(shape.size);
    case 'fanOutIn':
      return fanOutInAsl(shape.size, options);
    case 'fanOut':
      return fanOutAsl(shape.size, options);
  }
}

/**
 * State transitions Step Functions Standard bills for one execution of `definition` on `input`.
 *
 * Counting rule. AWS "counts a state transition each time a step of your workflow is executed"
 * (https://aws.amazon.com/step-functions/pricing/): one per state entered, i.e. one per
 * `…StateEntered` history event. So a Parallel or Map state counts once itself, plus every state
 * entered in its branches or in each of its iterations. An inline Map iteration costs nothing of
 * its own; a Distributed Map adds one transition per child execution it starts
 * (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-transitions.html, "Transitions in
 * Distributed Map state"), whose states (Standard children) are counted as above.
 *
 * Caveat for the real service: an inline Map adds about 4 history events per iteration
 * (iteration started, Pass entered and exited, iteration succeeded) and a Standard execution is
 * capped at 25,000 events, so the inline 10,000-item Map would fail on AWS; a user would write
 * `mode: 'DISTRIBUTED'` (https://docs.aws.amazon.com/step-functions/latest/dg/state-map-inline.html).
 *
 * Data flow: a Pass state outputs its `Result` or its input, a Parallel state the array of its
 * branches' outputs, a Map state the array of its iterations' outputs.
 * @example standardTransitions(diamondAsl().definition, {}) // 5
 */
export function standardTransitions(definition: AslStateMachine, input: AslJson): number {
  return walk(definition, input).transitions;
}

function walk(machine: AslStateMachine, input: AslJson): { transitions: number; output: AslJson } {
  let transitions = 0;
  let data = input;
  const entered = new Set<string>();
  for (let name: string | undefined = machine.StartAt; name !== undefined; ) {
    const state: AslState | undefined = machine.States[name];
    if (!state) throw new Error(`state "${name}" is not defined`);
    if (entered.has(name)) throw new Error(`state "${name}" is entered twice: the machine loops`);
    entered.add(name);
    transitions += 1;
    if (state.Type === 'Pass') {
      data = state.Result !== undefined ? state.Result : data;
    } else {
      const runs =
        state.Type === 'Parallel'
          ? state.Branches.map((branch) => walk(branch, data))
          : itemsAt(data, state.ItemsPath ?? '$').map((item) => walk(state.ItemProcessor, item));
      const distributed = state.Type === 'Map' && state.ItemProcessor.ProcessorConfig?.Mode === 'DISTRIBUTED';
      transitions += runs.reduce((sum, run) => sum + run.transitions + (distributed ? 1 : 0), 0);
      data = runs.map((run) => run.output);
    }
    name = state.End ? undefined : state.Next;
  }
  return { transitions, output: data };
}

function itemsAt(data: AslJson, path: string): AslJson[] {
  if (path !== '$' && !path.startsWith('$.')) throw new Error(`unsupported ItemsPath "${path}"`);
  let value: AslJson | undefined = data;
  for (const key of path === '$' ? [] : path.slice(2).split('.')) {
    value = value !== null && typeof value === 'object' && !Array.isArray(value) ? value[key] : undefined;
  }
  if (!Array.isArray(value)) throw new Error(`ItemsPath "${path}" does not select an array`);
  return value;
}

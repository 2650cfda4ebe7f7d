/**
 * The contract between a workflow and the workflows that call it (`workflow` nodes, maps over a
 * workflow): what a caller reads of the callee's `outputs` and which of its `inputs` it supplies,
 * worked out from the caller's definition at publish, and the two ways a new callee version can
 * break it — an output the caller reads is gone, or a required input without a default is new and
 * the caller does not supply it. Pure functions: `engine/publish-definition.ts` reads the versions
 * and refuses the publish.
 */
import jsonata from 'jsonata';
import type { InputDefinition, WorkflowDefinition } from './definition-schema.ts';
import { findExpressions } from './expressions.ts';

/** Read or supplied names; `ALL` when every name may be (a whole-output read, a computed `with`). */
export const ALL = '*';

/** What one calling node needs of the workflow it calls. */
export interface ContractNeeds {
  /** Output names the caller reads (`$nodes.<node>.output.<name>`), or [`*`] for the whole output. */
  readonly reads: readonly string[];
  /** Input names the caller's `with` gives, or [`*`] when `with` is computed (not checked). */
  readonly supplies: readonly string[];
}

/** How a callee version breaks one caller. */
export interface ContractBreak {
  /** Outputs the caller reads that the new version no longer declares. */
  readonly removedOutputs: readonly string[];
  /** Required inputs without a default that the new version adds and the caller does not give. */
  readonly newRequiredInputs: readonly string[];
}

/**
 * What the node `nodeId` of `caller` needs of the workflow it calls: the output names read by any
 * expression of the caller (`with`, `when`, `if`, `items` of every node, and the run `outputs`)
 * and the keys of the node's own `with`. A map's template has no `with` of its own (its items
 * are the inputs), so it supplies `*`.
 * @example contractNeeds(def, 'charge') // { reads: ['total'], supplies: ['orderId'] }
 */
export function contractNeeds(caller: WorkflowDefinition, nodeId: string): ContractNeeds {
  const reads = new Set<string>();
  const visit = (value: unknown): void => {
    if (typeof value === 'string') {
      for (const span of findExpressions(value).spans) outputReads(span.source, nodeId, reads);
    } else if (Array.isArray(value)) value.forEach(visit);
    else if (value !== null && typeof value === 'object') Object.values(value).forEach(visit);
  };
  for (const node of Object.values(caller.nodes)) {
    const { with: given, when, if: condition, items, node: template } = node as Record<string, unknown>;
    [given, when, condition, items, template].forEach(visit);
  }
  visit(caller.outputs);
  const node = caller.nodes[nodeId] as { type?: string; with?: unknown } | undefined;
  const given = node?.with;
  const supplies =
    node?.type !== 'workflow'
      ? [ALL]
      : given === undefined
        ? []
        : typeof given === 'object' && given !== null && !Array.isArray(given)
          ? Object.keys(given)
          : [ALL];
  return { reads: reads.has(ALL) ? [ALL] : [...reads].sort(), supplies };
}

/**
 * How `after` breaks a caller with these needs that runs `before` today (undefined when no
 * published version matched the caller's range yet): outputs `before` declared that the caller
 * reads and `after` drops; required inputs without a default that `after` adds (or makes
 * required) and the caller does not give. Undefined when nothing breaks.
 * @example contractBreak({ reads: ['total'], supplies: [] }, v1, v2) // { removedOutputs: ['total'], newRequiredInputs: [] }
 */
export function contractBreak(
  needs: ContractNeeds,
  before: WorkflowDefinition | undefined,
  after: WorkflowDefinition,
): ContractBreak | undefined {
  const had = Object.keys(before?.outputs ?? {});
  const has = new Set(Object.keys(after.outputs ?? {}));
  const read = needs.reads.includes(ALL) ? had : had.filter((name) => needs.reads.includes(name));
  const removedOutputs = read.filter((name) => !has.has(name));
  const required = (definition: WorkflowDefinition | undefined) =>
    Object.entries(definition?.inputs ?? {})
      .filter(([, input]) => isRequired(input))
      .map(([name]) => name);
  const requiredBefore = new Set(required(before));
  const newRequiredInputs = needs.supplies.includes(ALL)
    ? []
    : required(after).filter((name) => !requiredBefore.has(name) && !needs.supplies.includes(name));
  return removedOutputs.length + newRequiredInputs.length === 0
    ? undefined
    : { removedOutputs, newRequiredInputs };
}

const isRequired = (input: InputDefinition) => input.required === true && input.default === undefined;

/**
 * Adds to `reads` what one expression reads of `$nodes.<nodeId>.output`: a field name for
 * `$nodes.<id>.output.<name>`, `*` for any other use of the node's output (the whole object, a
 * computed key). Expressions that do not parse are left to validation.
 */
function outputReads(source: string, nodeId: string, reads: Set<string>): void {
  let ast: unknown;
  try {
    ast = jsonata(source).ast();
  } catch {
    return;
  }
  const stack: unknown[] = [ast];
  while (stack.length > 0) {
    const current = stack.pop();
    if (Array.isArray(current)) {
      stack.push(...current);
      continue;
    }
    if (!current || typeof current !== 'object') continue;
    const path = current as {
      type?: string;
      steps?: Array<{ type?: string; value?: unknown; stages?: unknown }>;
    };
    const [first, second, third, fourth] = path.steps ?? [];
    if (
      path.type === 'path' &&
      first?.type === 'variable' &&
      first.value === 'nodes' &&
      second?.type === 'name' &&
      second.value === nodeId
    ) {
      const field = third?.type === 'name' && third.value === 'output' ? fourth : undefined;
      if (field?.type === 'name' && typeof field.value === 'string') reads.add(field.value);
      else reads.add(ALL);
    }
    stack.push(...Object.values(current));
  }
}

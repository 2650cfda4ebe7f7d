import semver from 'semver';
import { analyzeDag, formatCycle } from './dag.ts';
import { definedTriggerProblems } from './defined-triggers.ts';
import { definitionSchema, type WorkflowDefinition } from './definition-schema.ts';
import { KNOWN_FIELDS } from './known-fields.ts';
import { LIMITS } from './limits.ts';
import { staticInputProblems } from './node-inputs.ts';
import { type Problem, toJsonPath } from './problems.ts';
import { checkReferences } from './references.ts';
import { schemaProblems } from './schema-problems.ts';
import { type ParsedSource, parseSource, type SourceFormat } from './source.ts';
import { didYouMean } from './suggest.ts';

/** What `skein validate --json` prints for a file and `POST /v1/dag/validate` returns. */
export interface ValidationResult {
  readonly valid: boolean;
  readonly errors: Problem[];
  /** Execution order as levels, `[["a"],["b","c"],["d"]]`; empty unless valid. */
  readonly order: string[][];
}

export interface ValidatedDefinition extends ValidationResult {
  /** The parsed definition with defaults applied; present only when valid. */
  readonly definition?: WorkflowDefinition;
}

/**
 * Validates a definition written in YAML or JSON, reporting every problem at once.
 * @example validateSource('nodes: {a: {type: noop}}', 'yaml').order // [['a']]
 */
export function validateSource(text: string, format: SourceFormat): ValidatedDefinition {
  return validateParsed(parseSource(text, format));
}

/** Validates the result of `parseSource`, keeping its problems (duplicate keys) in the result. */
export function validateParsed(parsed: ParsedSource): ValidatedDefinition {
  if (parsed.value === undefined) return { valid: false, errors: parsed.problems, order: [] };
  const result = validateDefinition(parsed.value);
  const errors = [...parsed.problems, ...result.errors];
  return errors.length === 0 ? result : { valid: false, errors, order: [] };
}

/** Validates an already parsed definition (a JSON value). */
export function validateDefinition(value: unknown): ValidatedDefinition {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return {
      valid: false,
      errors: [
        { code: 'SCHEMA', message: 'a definition is an object with at least a "nodes" map', path: '$' },
      ],
      order: [],
    };
  }
  const errors: Problem[] = [];
  const nodes = rawNodes(value);
  const ids = Object.keys(nodes);
  if (ids.length > LIMITS.maxNodes) {
    errors.push({
      code: 'LIMIT',
      message: `the definition has ${ids.length} nodes; the limit is ${LIMITS.maxNodes}: split it into workflows that call each other`,
      path: '$.nodes',
    });
  }
  const parsed = definitionSchema.safeParse(value);
  if (!parsed.success) errors.push(...schemaProblems(parsed.error.issues, value, KNOWN_FIELDS));

  const known = new Set(ids);
  const parents = new Map<string, string[]>();
  for (const id of ids) parents.set(id, checkNeeds(id, nodes[id], known, ids, errors));
  const analysis = analyzeDag({ nodes: ids, parents: (id) => parents.get(id) ?? [] });
  for (const cycle of analysis.cycles) {
    const [first, last] = [cycle[0] as string, cycle.at(-2) as string];
    const index = needsOf(nodes[first]).indexOf(last);
    errors.push({
      code: 'CYCLE',
      message: `cycle ${formatCycle(cycle)}: a workflow must be acyclic, remove one of these dependencies`,
      path: toJsonPath(['nodes', first, 'needs', ...(index >= 0 ? [index] : [])]),
    });
  }
  if (analysis.omittedCycles > 0) {
    const count = `${analysis.omittedCycles}${analysis.cyclesCountIsLowerBound ? ' or more' : ''}`;
    errors.push({
      code: 'CYCLE',
      message: `${count} further cycles are not listed; break the ones above first`,
      path: '$.nodes',
    });
  }
  for (const [id, cycle] of analysis.blocked) {
    errors.push({
      code: 'UNREACHABLE',
      message: `node "${id}" can never start: it depends on the cycle ${formatCycle(cycle)}`,
      path: toJsonPath(['nodes', id]),
    });
  }
  checkBranches(nodes, known, ids, errors);
  errors.push(...checkReferences(value, nodes, ids));
  errors.push(...staticInputProblems(nodes));
  checkWorkflowRanges(nodes, errors);
  errors.push(...definedTriggerProblems((value as { triggers?: unknown }).triggers));

  if (errors.length > 0 || !parsed.success) return { valid: false, errors, order: [] };
  return { valid: true, errors: [], order: analysis.levels ?? [], definition: parsed.data };
}

type RawNode = Record<string, unknown>;

function rawNodes(value: object): Record<string, RawNode | undefined> {
  const nodes = (value as { nodes?: unknown }).nodes;
  return nodes !== null && typeof nodes === 'object' && !Array.isArray(nodes)
    ? (nodes as Record<string, RawNode | undefined>)
    : {};
}

function needsOf(node: RawNode | undefined): string[] {
  const needs = node?.needs;
  return Array.isArray(needs) ? needs.filter((n): n is string => typeof n === 'string') : [];
}

/** Checks one node's `needs` and returns its usable parents (known, not itself, once each). */
function checkNeeds(
  id: string,
  node: RawNode | undefined,
  known: Set<string>,
  ids: string[],
  errors: Problem[],
) {
  const needs = needsOf(node);
  if (needs.length > LIMITS.maxParents) {
    errors.push({
      code: 'LIMIT',
      message: `node "${id}" has ${needs.length} parents; the limit is ${LIMITS.maxParents}: join them through intermediate nodes`,
      path: toJsonPath(['nodes', id, 'needs']),
    });
  }
  const usable = new Set<string>();
  needs.forEach((parent, index) => {
    const path = toJsonPath(['nodes', id, 'needs', index]);
    if (parent === id) {
      errors.push({
        code: 'SELF_DEPENDENCY',
        message: `node "${id}" needs itself; remove "${id}" from its needs`,
        path,
      });
    } else if (!known.has(parent)) {
      errors.push({
        code: 'UNKNOWN_NODE',
        message: `node "${id}" needs "${parent}", which is not a node of this workflow${didYouMean(parent, ids)}`,
        path,
      });
    } else if (usable.has(parent)) {
      errors.push({
        code: 'SCHEMA',
        message: `"${parent}" is listed twice in the needs of "${id}"; keep one`,
        path,
      });
    } else {
      usable.add(parent);
    }
  });
  return [...usable];
}

/** A condition's `then`/`else` ids must be nodes that need the condition, each in one branch only. */
function checkBranches(
  nodes: Record<string, RawNode | undefined>,
  known: Set<string>,
  ids: string[],
  errors: Problem[],
) {
  for (const id of ids) {
    const node = nodes[id];
    if (node?.type !== 'condition') continue;
    const inBranch = new Map<string, string>();
    for (const branch of ['then', 'else'] as const) {
      const targets = Array.isArray(node[branch]) ? (node[branch] as unknown[]) : [];
      targets.forEach((target, index) => {
        if (typeof target !== 'string') return;
        const path = toJsonPath(['nodes', id, branch, index]);
        if (!known.has(target)) {
          errors.push({
            code: 'UNKNOWN_NODE',
            message: `the ${branch} branch of "${id}" names "${target}", which is not a node of this workflow${didYouMean(target, ids)}`,
            path,
          });
        } else if (inBranch.has(target) && inBranch.get(target) !== branch) {
          errors.push({
            code: 'BRANCH',
            message: `"${target}" is in both branches of "${id}"; keep it in one`,
            path,
          });
        } else if (!needsOf(nodes[target]).includes(id)) {
          errors.push({
            code: 'BRANCH',
            message: `"${target}" is in the ${branch} branch of "${id}" but does not need it; add "${id}" to the needs of "${target}"`,
            path,
          });
        }
        inBranch.set(target, branch);
      });
    }
  }
}

function checkWorkflowRanges(nodes: Record<string, RawNode | undefined>, errors: Problem[]) {
  for (const [id, node] of Object.entries(nodes)) {
    const refs: Array<[unknown, (string | number)[]]> = [];
    if (node?.type === 'workflow') refs.push([node.version, ['nodes', id, 'version']]);
    const template = node?.type === 'map' ? (node.node as RawNode | undefined) : undefined;
    if (template && 'workflow' in template) refs.push([template.version, ['nodes', id, 'node', 'version']]);
    for (const [range, path] of refs) {
      if (typeof range === 'string' && semver.validRange(range) === null) {
        errors.push({
          code: 'SCHEMA',
          message: `"${range}" is not a semver range; write one such as ^1.2.0, ~1.4.0 or 2.x`,
          path: toJsonPath(path),
        });
      }
    }
  }
}

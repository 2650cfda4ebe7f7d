import type { WorkflowDefinition } from './definition-schema.ts';
import { type Problem, toJsonPath } from './problems.ts';

/**
 * A problem for each node (and map template) whose type the deployment's workers do not run:
 * publishing warns with these (refuses them when strict), `skein validate` prints them.
 * @example unavailableNodeTypes(definition, ['noop', 'script'], 'aws')
 * // [{ code: 'NODE_TYPE_UNAVAILABLE', path: '$.nodes.charge.type', message: 'node "charge" is a "lambda" node, which ...' }]
 */
export function unavailableNodeTypes(
  definition: WorkflowDefinition,
  available: readonly string[],
  where: string,
): Problem[] {
  const problems: Problem[] = [];
  const runs = new Set(available);
  const check = (type: unknown, nodeId: string, path: (string | number)[]) => {
    if (typeof type !== 'string' || runs.has(type)) return;
    problems.push({
      code: 'NODE_TYPE_UNAVAILABLE',
      message: `node "${nodeId}" is ${/^[aeiou]/.test(type) ? 'an' : 'a'} "${type}" node, which ${where} does not run (it runs ${available.join(', ')}); a run would fail there at this node`,
      path: toJsonPath(path),
    });
  };
  for (const [nodeId, node] of Object.entries(definition.nodes)) {
    check(node.type, nodeId, ['nodes', nodeId, 'type']);
    const template = (node as { node?: { type?: unknown } }).node;
    if (node.type === 'map' && template && typeof template === 'object' && 'type' in template) {
      check(template.type, nodeId, ['nodes', nodeId, 'node', 'type']);
    }
  }
  return problems;
}

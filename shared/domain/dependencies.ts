import type { WorkflowDefinition } from './definition-schema.ts';

/** A workflow this definition calls (through a `workflow` node or a map over a workflow). */
export interface WorkflowDependency {
  readonly workflowId: string;
  readonly range: string;
  readonly nodeId: string;
}

/** Lists the workflows a definition calls, with the version range each call accepts. */
export function dependenciesOf(definition: WorkflowDefinition): WorkflowDependency[] {
  const out: WorkflowDependency[] = [];
  for (const [nodeId, node] of Object.entries(definition.nodes)) {
    if (node.type === 'workflow') out.push({ workflowId: node.workflow, range: node.version, nodeId });
    if (node.type === 'map') {
      const template = node.node as { workflow?: unknown; version?: unknown };
      if (typeof template.workflow === 'string' && typeof template.version === 'string') {
        out.push({ workflowId: template.workflow, range: template.version, nodeId });
      }
    }
  }
  return out;
}

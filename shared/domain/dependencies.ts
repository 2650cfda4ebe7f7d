import { type ContractNeeds, contractNeeds } from './contracts.ts';
import type { WorkflowDefinition } from './definition-schema.ts';

/**
 * A workflow this definition calls (through a `workflow` node or a map over a workflow), the
 * version range the call accepts, and what the calling node needs of it (`contracts.ts`).
 */
export interface WorkflowDependency extends Partial<ContractNeeds> {
  readonly workflowId: string;
  readonly range: string;
  readonly nodeId: string;
}

/** Lists the workflows a definition calls, with the version range each call accepts and its needs. */
export function dependenciesOf(definition: WorkflowDefinition): WorkflowDependency[] {
  const out: WorkflowDependency[] = [];
  for (const [nodeId, node] of Object.entries(definition.nodes)) {
    if (node.type === 'workflow') {
      out.push({
        workflowId: node.workflow,
        range: node.version,
        nodeId,
        ...contractNeeds(definition, nodeId),
      });
    }
    if (node.type === 'map') {
      const template = node.node as { workflow?: unknown; version?: unknown };
      if (typeof template.workflow === 'string' && typeof template.version === 'string') {
        out.push({
          workflowId: template.workflow,
          range: template.version,
          nodeId,
          ...contractNeeds(definition, nodeId),
        });
      }
    }
  }
  return out;
}

import { z } from 'zod';
import { definitionSchema } from './definition-schema.ts';

/**
 * The JSON Schema of the definition format, for editors (YAML language server, VS Code), derived
 * from the zod schema so the two cannot disagree. `schema/workflow.schema.json` is this, checked in.
 */
export function workflowJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(definitionSchema, { io: 'input', target: 'draft-2020-12' });
  return {
    ...schema,
    $id: 'https://skein.dev/schema/workflow.schema.json',
    title: 'Skein workflow definition',
  };
}

export const renderWorkflowJsonSchema = (): string => `${JSON.stringify(workflowJsonSchema(), null, 2)}\n`;

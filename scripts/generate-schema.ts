// Writes schema/workflow.schema.json from the zod schemas (`npm run schema`).
import { writeFileSync } from 'node:fs';
import { renderWorkflowJsonSchema } from '../shared/domain/json-schema.ts';

const file = new URL('../schema/workflow.schema.json', import.meta.url);
writeFileSync(file, renderWorkflowJsonSchema());
console.log(`wrote ${file.pathname}`);

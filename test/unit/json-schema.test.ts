import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderWorkflowJsonSchema } from '../../shared/domain/json-schema.ts';
import { parseSource } from '../../shared/domain/source.ts';
import { validateDefinition } from '../../shared/domain/validate.ts';

describe('schema/workflow.schema.json', () => {
  it('is what the zod schemas generate today (run `npm run schema` after changing them)', () => {
    const checkedIn = readFileSync(new URL('../../schema/workflow.schema.json', import.meta.url), 'utf8');
    expect(checkedIn).toBe(renderWorkflowJsonSchema());
  });
});

describe('examples/', () => {
  it.each(['hello.yaml', 'order-pipeline.yaml'])('%s is a valid definition', (file) => {
    const text = readFileSync(new URL(`../../examples/${file}`, import.meta.url), 'utf8');
    const result = validateDefinition(parseSource(text, 'yaml').value);
    expect(result.errors).toEqual([]);
  });
});

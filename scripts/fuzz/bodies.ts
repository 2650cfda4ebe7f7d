import fc from 'fast-check';
import { stringify } from 'yaml';
import { type WorkflowOptions, workflowArb } from './definitions.ts';
import {
  deepJson,
  deepYaml,
  GARBAGE_BODIES,
  longString,
  nastyJson,
  nastyString,
  YAML_ODDITIES,
  yamlBomb,
} from './hostile.ts';
import { nearValid } from './mutate.ts';
import type { Operation } from './operations.ts';
import { type JsonSchema, type SchemaContext, schemaArb } from './schema-arb.ts';
import type { BodyChoice } from './types.ts';

/** What the body generators need from the run. */
export interface BodyContext extends WorkflowOptions {
  readonly schemas: SchemaContext;
}

const JSON_TYPES = ['application/json', 'application/json; charset=utf-8', 'application/vnd.skein+json'];
const YAML_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/x-yaml; charset=utf-8'];
/** Content types the API refuses, and malformed ones. */
const WRONG_TYPES = [
  'text/plain',
  'application/xml',
  'multipart/form-data; boundary=x',
  'application/x-www-form-urlencoded',
  'application/octet-stream',
  'application/json+yaml',
  'json',
  '',
  ';',
  'application/',
  '*/*',
  'application/json\t',
  `application/${'x'.repeat(3000)}`,
  'APPLICATION/JSON',
  'application/yaml; charset=utf-16',
];

/** Serializes a value as JSON or YAML with a matching Content-Type. */
export function serialize(value: unknown): fc.Arbitrary<BodyChoice> {
  return fc.oneof(
    {
      arbitrary: fc.constantFrom(...JSON_TYPES).map((type) => ({ text: safeJson(value), contentType: type })),
      weight: 3,
    },
    {
      arbitrary: fc.constantFrom(...YAML_TYPES).map((type) => ({ text: safeYaml(value), contentType: type })),
      weight: 1,
    },
    { arbitrary: fc.constant({ text: safeJson(value) }), weight: 1 },
  );
}

/** JSON.stringify that never throws (a value made by hand could hold a BigInt or a cycle). */
function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? 'null';
  } catch {
    return '{}';
  }
}

function safeYaml(value: unknown): string {
  try {
    return stringify(value, { aliasDuplicateObjects: false });
  } catch {
    return safeJson(value);
  }
}

const schemaOf = (operation: Operation): JsonSchema | undefined => operation.body;
const isDefinitionRoute = (operation: Operation) =>
  operation.key === 'POST /v1/dag/validate' || /^PUT .*\/versions\/\{version\}$/.test(operation.key);

/** A body the route accepts (as far as its schema says); undefined for routes without a body. */
export function validBody(operation: Operation, context: BodyContext): fc.Arbitrary<BodyChoice | undefined> {
  const schema = schemaOf(operation);
  if (!schema) return fc.constant(undefined);
  if (isDefinitionRoute(operation)) {
    return fc
      .oneof(
        { arbitrary: workflowArb(context).map((w) => w.definition), weight: 3 },
        { arbitrary: schemaArb(schema, { ...context.schemas, maxDepth: 4 }), weight: 1 },
      )
      .chain(serialize);
  }
  const values = schemaArb(schema, context.schemas);
  const optional = operation.bodyRequired ? values : fc.oneof(fc.constant({}), values);
  return fc.oneof(
    { arbitrary: optional.chain(serialize), weight: 4 },
    // An optional body may be left out entirely.
    {
      arbitrary: fc.constant(
        operation.bodyRequired ? { text: '{}', contentType: 'application/json' } : undefined,
      ),
      weight: 1,
    },
  );
}

/** A valid body with exactly one thing wrong. */
export function nearValidBody(operation: Operation, context: BodyContext): fc.Arbitrary<BodyChoice> {
  const schema = schemaOf(operation) ?? {};
  const base = isDefinitionRoute(operation)
    ? workflowArb(context).map((w): unknown => w.definition)
    : schemaArb(schema, context.schemas);
  return nearValid(base).chain(serialize);
}

/** Bodies meant to break the parser, the validator or the process. */
export function hostileBody(): fc.Arbitrary<BodyChoice> {
  const json = (text: string) => ({ text, contentType: 'application/json' });
  const yaml = (text: string) => ({ text, contentType: 'application/yaml' });
  return fc.oneof(
    fc
      .constantFrom(...GARBAGE_BODIES)
      .chain((text) => fc.constantFrom<BodyChoice>(json(text), yaml(text), { text })),
    fc.constantFrom(...YAML_ODDITIES).map(yaml),
    fc
      .tuple(
        fc.constantFrom(200, 255, 256, 257, 300, 5_000, 100_000),
        fc.constantFrom('array', 'object', 'mixed') as fc.Arbitrary<'array' | 'object' | 'mixed'>,
      )
      .map(([depth, shape]) => json(deepJson(depth, shape))),
    fc
      .tuple(
        fc.constantFrom(250, 256, 257, 1_000, 3_000),
        fc.constantFrom('block', 'flow') as fc.Arbitrary<'block' | 'flow'>,
      )
      .map(([depth, style]) => yaml(deepYaml(depth, style))),
    fc
      .tuple(
        fc.integer({ min: 2, max: 10 }),
        fc.integer({ min: 2, max: 12 }),
        fc.constantFrom('root', 'with') as fc.Arbitrary<'root' | 'with'>,
      )
      .map(([levels, fanout, under]) => yaml(yamlBomb(levels, fanout, under))),
    nastyJson.map((value) => json(safeJson(value))),
    nastyJson.map((value) => yaml(safeYaml(value))),
    longString().map((text) => json(JSON.stringify({ nodes: { a: { type: 'noop', description: text } } }))),
    fc.constantFrom(1_048_576, 1_048_577, 1_500_000).map((size) => json(`"${'a'.repeat(size - 2)}"`)),
    fc
      .record({
        inputs: nastyJson,
        version: nastyString,
        wait: fc.constantFrom<unknown>(31, -1, '5', 1e308, null, [], true),
      })
      .map((v) => json(safeJson(v))),
    fc
      .constantFrom(...WRONG_TYPES)
      .chain((type) => fc.constant({ text: '{"nodes":{"a":{"type":"noop"}}}', contentType: type })),
  );
}

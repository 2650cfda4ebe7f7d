import fc from 'fast-check';

/**
 * Values for a JSON Schema as `/openapi.json` writes it (OpenAPI 3.1: `$ref` to components,
 * `type`, `enum`, `const`, `anyOf`/`oneOf`, objects with `properties`/`required`/
 * `additionalProperties`/`propertyNames`, arrays, string lengths and patterns, number ranges).
 * The values follow the schema; keywords it does not know are ignored, so a value may still be
 * refused by a rule the schema cannot say (a DAG with a cycle): that is fine for a fuzzer.
 */
export type JsonSchema = { readonly [keyword: string]: unknown };

export interface SchemaContext {
  /** `components.schemas` of the document, for `$ref`. */
  readonly components: Readonly<Record<string, JsonSchema>>;
  /** Levels of objects and arrays before only required fields and empty arrays are made. */
  readonly maxDepth: number;
}

const asSchema = (value: unknown): JsonSchema =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonSchema) : {};
const num = (value: unknown): number | undefined => (typeof value === 'number' ? value : undefined);

/** An arbitrary of values matching `schema` (as far as the keywords above say). */
export function schemaArb(schema: JsonSchema, context: SchemaContext, depth = 0): fc.Arbitrary<unknown> {
  // Recursive schemas (a map node holds a node) with required fields would never end.
  if (depth > context.maxDepth + 2) return fc.constant(null);
  const ref = schema.$ref;
  if (typeof ref === 'string') {
    const name = ref.replace('#/components/schemas/', '');
    return schemaArb(asSchema(context.components[name]), context, depth);
  }
  if ('const' in schema) return fc.constant(schema.const);
  if (Array.isArray(schema.enum) && schema.enum.length > 0)
    return fc.constantFrom(...(schema.enum as unknown[]));
  const choices = (schema.anyOf ?? schema.oneOf) as unknown[] | undefined;
  if (Array.isArray(choices) && choices.length > 0) {
    return fc.oneof(...choices.map((choice) => schemaArb(asSchema(choice), context, depth)));
  }
  const type = Array.isArray(schema.type) ? (schema.type[0] as unknown) : schema.type;
  switch (type) {
    case 'string':
      return stringArb(schema);
    case 'integer':
      return fc.integer({ min: num(schema.minimum) ?? -1_000, max: num(schema.maximum) ?? 1_000 });
    case 'number':
      return fc.double({
        min: num(schema.minimum) ?? -1e6,
        max: num(schema.maximum) ?? 1e6,
        noNaN: true,
        noDefaultInfinity: true,
      });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array':
      return arrayArb(schema, context, depth);
    case 'object':
      return objectArb(schema, context, depth);
    default:
      // `{}` (any value): a small JSON value.
      return fc.jsonValue({ maxDepth: 2 });
  }
}

function stringArb(schema: JsonSchema): fc.Arbitrary<string> {
  const minLength = num(schema.minLength) ?? 0;
  const maxLength = Math.min(num(schema.maxLength) ?? 24, 64);
  if (typeof schema.pattern === 'string') {
    return fc
      .stringMatching(new RegExp(schema.pattern))
      .filter(
        (s) => s.length >= minLength && s.length <= (num(schema.maxLength) ?? Number.POSITIVE_INFINITY),
      );
  }
  return fc.string({ minLength, maxLength: Math.max(minLength, maxLength) });
}

function arrayArb(schema: JsonSchema, context: SchemaContext, depth: number): fc.Arbitrary<unknown[]> {
  const minLength = num(schema.minItems) ?? 0;
  const cap =
    depth >= context.maxDepth ? minLength : Math.max(minLength, Math.min(num(schema.maxItems) ?? 4, 4));
  return fc.array(schemaArb(asSchema(schema.items), context, depth + 1), { minLength, maxLength: cap });
}

function objectArb(
  schema: JsonSchema,
  context: SchemaContext,
  depth: number,
): fc.Arbitrary<Record<string, unknown>> {
  const properties = asSchema(schema.properties);
  const required = new Set(Array.isArray(schema.required) ? (schema.required as string[]) : []);
  const names = Object.keys(properties);
  if (names.length > 0) {
    const shallow = depth >= context.maxDepth;
    const record: Record<string, fc.Arbitrary<unknown>> = {};
    for (const name of names) {
      if (shallow && !required.has(name)) continue;
      record[name] = schemaArb(asSchema(properties[name]), context, depth + 1);
    }
    return fc.record(record, { requiredKeys: [...required].filter((name) => name in record) });
  }
  // A map (`record` in zod): keys from `propertyNames`, values from `additionalProperties`.
  const values = schema.additionalProperties;
  if (values === false || depth >= context.maxDepth) return fc.constant({});
  const keys = stringArb({ ...asSchema(schema.propertyNames), minLength: 1, maxLength: 12 });
  const minKeys = num(schema.minProperties) ?? 0;
  return fc.dictionary(keys, schemaArb(asSchema(values), context, depth + 1), {
    minKeys,
    maxKeys: Math.max(minKeys, 3),
  });
}

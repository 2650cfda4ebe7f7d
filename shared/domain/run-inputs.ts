import { canonicalJson } from './canonical-json.ts';
import type { InputDefinition, WorkflowDefinition } from './definition-schema.ts';
import { hasInputType } from './definition-schema.ts';
import { LIMITS } from './limits.ts';
import { type Problem, SkeinError, toJsonPath } from './problems.ts';
import { didYouMean } from './suggest.ts';

export type RunInputsResult =
  | { ok: true; inputs: Record<string, unknown> }
  | { ok: false; problems: Problem[] };

/** Enum values listed in a message before the rest are summarised. */
const MAX_LISTED_VALUES = 10;

/**
 * Checks the inputs given to "start run" against the definition's declared `inputs` and returns
 * the inputs the run will see: given values, plus defaults (deep-copied, so runs never share
 * objects) for declared inputs left out. Every problem is reported at once: declared inputs in
 * declaration order, then unknown keys, then the size limit.
 * @example
 * resolveRunInputs({ inputs: { n: { type: 'integer', default: 1 } } }, {})
 * // → { ok: true, inputs: { n: 1 } }
 */
export function resolveRunInputs(
  definition: Pick<WorkflowDefinition, 'inputs'>,
  given: unknown,
): RunInputsResult {
  const source = given === undefined ? {} : given;
  if (typeof source !== 'object' || source === null || Array.isArray(source)) {
    const message = `the run inputs must be a JSON object of name → value, got ${kindOf(source)}`;
    return { ok: false, problems: [{ code: 'SCHEMA', message, path: '$.inputs' }] };
  }
  const values = source as Record<string, unknown>;
  const declared = definition.inputs ?? {};
  const names = Object.keys(declared);
  const problems: Problem[] = [];
  const entries: [string, unknown][] = [];

  for (const [name, input] of Object.entries(declared)) {
    const path = toJsonPath(['inputs', name]);
    if (!Object.hasOwn(values, name) || values[name] === undefined) {
      if (input.default !== undefined) entries.push([name, structuredClone(input.default)]);
      else if (input.required) {
        problems.push({ code: 'SCHEMA', message: `missing required input "${name}" (${input.type})`, path });
      }
      continue;
    }
    const value = values[name];
    const problem = checkValue(value, input);
    if (problem) problems.push({ code: 'SCHEMA', message: problem, path });
    else entries.push([name, value]);
  }

  for (const key of Object.keys(values)) {
    if (Object.hasOwn(declared, key)) continue;
    const known = names.length ? `declared inputs: ${names.join(', ')}` : 'this workflow declares no inputs';
    problems.push({
      code: 'SCHEMA',
      message: `unknown input "${key}"${didYouMean(key, names)} (${known})`,
      path: toJsonPath(['inputs', key]),
    });
  }

  // Object.fromEntries defines own properties, so an input named "__proto__" stays plain data.
  const inputs: Record<string, unknown> = Object.fromEntries(entries);
  const sizeProblem = checkSize(inputs);
  if (sizeProblem) problems.push(sizeProblem);
  return problems.length ? { ok: false, problems } : { ok: true, inputs };
}

/**
 * The error "start run" throws for rejected inputs: code `INVALID_INPUTS`, status 400, the first
 * problem in the message and its path, every problem in `details`.
 */
export function runInputsError(problems: readonly Problem[]): SkeinError {
  const [first] = problems;
  if (!first)
    return new SkeinError('INVALID_INPUTS', 'the run inputs are invalid', 'invalid', '$.inputs', []);
  const more =
    problems.length > 1 ? ` (and ${problems.length - 1} more problem${problems.length > 2 ? 's' : ''})` : '';
  return new SkeinError(
    'INVALID_INPUTS',
    `invalid run inputs: ${first.path}: ${first.message}${more}`,
    'invalid',
    first.path,
    [...problems],
  );
}

function checkValue(value: unknown, input: InputDefinition): string | undefined {
  if (!hasInputType(value, input.type)) return `expected ${input.type}, got ${describe(value)}`;
  if (input.enum && !input.enum.some((allowed) => sameJson(allowed, value))) {
    const listed = input.enum
      .slice(0, MAX_LISTED_VALUES)
      .map((value) => show(value))
      .join(', ');
    const rest = input.enum.length > MAX_LISTED_VALUES ? `, … (${input.enum.length} in all)` : '';
    return `expected one of ${listed}${rest}; got ${show(value)}`;
  }
  return undefined;
}

function checkSize(inputs: Record<string, unknown>): Problem | undefined {
  let text: string;
  try {
    text = JSON.stringify(inputs);
  } catch {
    return { code: 'SCHEMA', message: 'the run inputs must be plain JSON values', path: '$.inputs' };
  }
  const bytes = new TextEncoder().encode(text).length;
  if (bytes <= LIMITS.maxInputBytes) return undefined;
  const message = `the run inputs are ${bytes} bytes as JSON, over the limit of ${LIMITS.maxInputBytes} bytes (256 KB); pass large data by reference (a URL or key) instead`;
  return { code: 'LIMIT', message, path: '$.inputs' };
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/** The kind, with the value itself when it is short enough to help (`number 1.5`). */
function describe(value: unknown): string {
  const kind = kindOf(value);
  if (kind === 'number' || kind === 'boolean') return `${kind} ${String(value)}`;
  if (kind === 'string' && (value as string).length <= 40) return `string ${JSON.stringify(value)}`;
  return kind;
}

function show(value: unknown, render: (value: unknown) => string | undefined = JSON.stringify): string {
  try {
    return render(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Enum membership by value; key order in objects does not matter. */
const sameJson = (a: unknown, b: unknown) => show(a, canonicalJson) === show(b, canonicalJson);

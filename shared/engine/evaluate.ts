import jsonata from 'jsonata';
import { findExpressions, isWholeExpression } from '../domain/expressions.ts';
import { LIMITS } from '../domain/limits.ts';
import { SkeinError, toJsonPath } from '../domain/problems.ts';
import type { Clock } from '../ports/clock.ts';

/** What an expression can read: `$inputs`, `$nodes.<id>.output`, `$run`, and `$item`/`$index` in a map. */
export interface ExpressionScope {
  readonly inputs: unknown;
  readonly nodes: Readonly<Record<string, { output: unknown }>>;
  readonly run: unknown;
  readonly item?: unknown;
  readonly index?: number;
}

export interface EvaluateOptions {
  /** Times each expression, and is what `$now()` and `$millis()` return. */
  readonly clock: Clock;
  /** Per expression. @default 1000 */
  readonly timeoutMs?: number;
  /** Max depth of nested function calls (recursion). @default 200 */
  readonly maxDepth?: number;
  /** Max size of one expression's result as JSON, in bytes. @default LIMITS.maxOutputBytes */
  readonly maxResultBytes?: number;
}

/** An expression that could not be parsed, failed, ran out of time or depth, or returned too much. */
export class ExpressionError extends SkeinError {
  constructor(
    message: string,
    path: string,
    /** Offset in the evaluated string where JSONata located the problem, when it did. */
    readonly position?: number,
  ) {
    super('EXPRESSION', message, 422, path, position === undefined ? undefined : { position });
    this.name = 'ExpressionError';
  }
}

const CLOSE_LENGTH = '%}'.length;
const MAX_CACHED = 1_000;
/** A space cannot appear in a JSONata variable name, so no expression can read or overwrite the guard. */
const GUARD = 'skein guard';
/** AST node types that call a function: their nesting is the recursion depth. */
const CALLS = new Set(['function', 'partial', 'apply']);
const ENTRY = Symbol.for('jsonata.__evaluate_entry') as unknown as string;
const EXIT = Symbol.for('jsonata.__evaluate_exit') as unknown as string;
const NOW = jsonata('$fromMillis($ms, $picture, $zone)');

interface Guard {
  readonly clock: Clock;
  readonly started: number;
  readonly timeoutMs: number;
  readonly maxDepth: number;
  depth: number;
}

/** Thrown from the evaluation hooks to stop JSONata; turned into an ExpressionError. */
class BoundExceeded {
  constructor(readonly reason: string) {}
}

const compiled = new Map<string, jsonata.Expression>();

/**
 * Evaluates one template value deeply. Objects and arrays are walked; a string that is one whole
 * `{% %}` expression takes the expression's value (any JSON type, or `undefined` when the
 * expression selects nothing, e.g. a missing path); a string with embedded expressions becomes a
 * string with each result interpolated (objects and arrays as JSON text, `undefined` as '');
 * other values are returned as they are.
 * @example await evaluateTemplate({ n: '{% $inputs.a + 1 %}' }, scope, { clock }) // { n: 2 } when a = 1
 */
export async function evaluateTemplate(
  value: unknown,
  scope: ExpressionScope,
  options: EvaluateOptions,
  path = '$',
): Promise<unknown> {
  if (typeof value === 'string') return evaluateString(value, scope, options, path);
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (const [index, item] of value.entries())
      out.push(await evaluateTemplate(item, scope, options, `${path}[${index}]`));
    return out;
  }
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value))
      out[key] = await evaluateTemplate(item, scope, options, path + toJsonPath([key]).slice(1));
    return out;
  }
  return value;
}

/**
 * Evaluates a `when`/`if` expression (`{% ... %}`, or bare JSONata when it has no `{%`) to a
 * boolean with JSONata's truthiness (`$boolean`): 0, '', [], {}, null and nothing are false.
 * @example await evaluateCondition('{% $inputs.count > 10 %}', scope, { clock })
 */
export async function evaluateCondition(
  expression: string,
  scope: ExpressionScope,
  options: EvaluateOptions,
  path = '$',
): Promise<boolean> {
  const value = expression.includes('{%')
    ? await evaluateTemplate(expression, scope, options, path)
    : await evaluateSource(expression, 0, scope, options, path);
  return truthy(value);
}

async function evaluateString(text: string, scope: ExpressionScope, options: EvaluateOptions, path: string) {
  const { spans, unclosedAt } = findExpressions(text);
  if (unclosedAt !== undefined)
    throw new ExpressionError(
      `"{%" at position ${unclosedAt} is never closed; end the expression with "%}"`,
      path,
      unclosedAt,
    );
  const [first] = spans;
  if (!first) return text;
  const endOf = (span: { source: string; offset: number }) => span.offset + span.source.length + CLOSE_LENGTH;
  if (spans.length === 1 && isWholeExpression(text) && text.slice(endOf(first)).trim() === '')
    return evaluateSource(first.source, first.offset, scope, options, path);
  let out = '';
  let cursor = 0;
  for (const span of spans) {
    out += text.slice(cursor, span.offset - CLOSE_LENGTH);
    const result = await evaluateSource(span.source, span.offset, scope, options, path);
    if (result !== undefined) out += typeof result === 'string' ? result : JSON.stringify(result);
    cursor = endOf(span);
  }
  out += text.slice(cursor);
  checkSize(JSON.stringify(out), options, path);
  return out;
}

/** Evaluates one JSONata source found at `offset` in the value at `path`; returns plain JSON. */
async function evaluateSource(
  source: string,
  offset: number,
  scope: ExpressionScope,
  options: EvaluateOptions,
  path: string,
): Promise<unknown> {
  const expression = compile(source, offset, path);
  const { clock, timeoutMs = 1000, maxDepth = 200 } = options;
  const started = clock.now();
  const guard: Guard = { clock, started, timeoutMs, maxDepth, depth: 0 };
  const bindings = {
    inputs: scope.inputs,
    nodes: scope.nodes,
    run: scope.run,
    item: scope.item,
    index: scope.index,
    // JSONata reads the wall clock for these; the engine's time comes from the Clock port.
    millis: () => started,
    now: (picture?: string, zone?: string) => NOW.evaluate(undefined, { ms: started, picture, zone }),
    [GUARD]: guard,
  };
  let result: unknown;
  try {
    result = await expression.evaluate(undefined, bindings);
  } catch (error) {
    if (error instanceof BoundExceeded)
      throw new ExpressionError(`the expression ${error.reason}`, path, offset);
    const { message, position } = describe(error);
    const at = position === undefined ? undefined : offset + position;
    throw new ExpressionError(
      `the expression failed${at === undefined ? '' : ` at position ${at}`}: ${message}`,
      path,
      at,
    );
  }
  return toJson(result, options, path);
}

function compile(source: string, offset: number, path: string): jsonata.Expression {
  const cached = compiled.get(source);
  if (cached) return cached;
  if (source.trim() === '')
    throw new ExpressionError('the expression is empty; write JSONata inside {% %}', path, offset);
  let expression: jsonata.Expression;
  try {
    expression = jsonata(source);
  } catch (error) {
    const { message, position = 0 } = describe(error);
    throw new ExpressionError(
      `invalid JSONata at position ${offset + position}: ${message}`,
      path,
      offset + position,
    );
  }
  expression.assign(ENTRY, enter);
  expression.assign(EXIT, leave);
  // Evict the oldest entry: a Map iterates in insertion order.
  if (compiled.size >= MAX_CACHED) compiled.delete(compiled.keys().next().value as string);
  compiled.set(source, expression);
  return expression;
}

function enter(node: { type?: string }, _input: unknown, frame: { lookup(name: string): unknown }): void {
  const guard = frame.lookup(GUARD) as Guard | undefined;
  if (!guard) return;
  if (CALLS.has(node.type ?? '') && ++guard.depth > guard.maxDepth)
    throw new BoundExceeded(
      `recursed deeper than ${guard.maxDepth} calls; make sure every recursion reaches a base case`,
    );
  if (guard.clock.now() - guard.started > guard.timeoutMs)
    throw new BoundExceeded(`took longer than ${guard.timeoutMs}ms; check for an endless loop or recursion`);
}

function leave(node: { type?: string }, _input: unknown, frame: { lookup(name: string): unknown }): void {
  const guard = frame.lookup(GUARD) as Guard | undefined;
  if (guard && CALLS.has(node.type ?? '')) guard.depth--;
}

/** JSONata throws plain objects with `message`, `position` and `code`; anything else is described as text. */
function describe(error: unknown): { message: string; position?: number } {
  if (error === null || typeof error !== 'object') return { message: String(error) };
  const { message, position, code } = error as { message?: unknown; position?: unknown; code?: unknown };
  const text = typeof message === 'string' ? message : String(error);
  return {
    message: typeof code === 'string' ? `${text} (${code})` : text,
    position: typeof position === 'number' ? position : undefined,
  };
}

/** Drops JSONata's sequence markers and functions, and enforces the size bound. */
function toJson(result: unknown, options: EvaluateOptions, path: string): unknown {
  if (result === undefined) return undefined;
  let json: string | undefined;
  try {
    json = JSON.stringify(result);
  } catch (error) {
    throw new ExpressionError(`the expression's result is not JSON: ${describe(error).message}`, path);
  }
  if (json === undefined) return undefined;
  checkSize(json, options, path);
  return JSON.parse(json);
}

function checkSize(json: string, options: EvaluateOptions, path: string): void {
  const limit = options.maxResultBytes ?? LIMITS.maxOutputBytes;
  // Bytes are at least the UTF-16 length / 1 and at most 3x it: only encode when it could matter.
  if (json.length * 3 <= limit) return;
  const bytes = new TextEncoder().encode(json).byteLength;
  if (bytes > limit)
    throw new ExpressionError(
      `the expression's result is ${bytes} bytes as JSON, over the limit of ${limit} bytes; select less data`,
      path,
    );
}

/** JSONata's `$boolean`, with nothing (undefined) as false. */
function truthy(value: unknown): boolean {
  if (Array.isArray(value)) return value.length === 1 ? truthy(value[0]) : value.some(truthy);
  if (typeof value === 'string') return value.length > 0;
  if (typeof value === 'number') return value !== 0;
  if (typeof value === 'boolean') return value;
  if (value !== null && typeof value === 'object') return Object.keys(value).length > 0;
  return false;
}

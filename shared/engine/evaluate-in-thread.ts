import jsonata from 'jsonata';
import { findExpressions, isWholeExpression } from '../domain/expressions.ts';
import { LIMITS } from '../domain/limits.ts';
import { SkeinError, toJsonPath } from '../domain/problems.ts';
import type { Clock } from '../ports/clock.ts';
import type {
  ExpressionErrorCode,
  ExpressionJob,
  ExpressionOutcome,
  ExpressionScope,
} from '../ports/sandbox.ts';
import { secretRef } from '../ports/secrets.ts';

/**
 * JSONata evaluation on the calling thread, with the language-level bounds (call depth, time per
 * expression, result size, `$pad` width). The engine does not call this directly: it goes
 * through `evaluate.ts`, which hands the work to the sandbox; the sandbox's expression process
 * runs this (`runExpressionJob`), as do unit tests of the language.
 */
export interface InThreadOptions {
  /** Times each expression; what `$now()` and `$millis()` return unless `nowMs` is given. */
  readonly clock: Clock;
  /** What `$now()` and `$millis()` return. @default clock.now() when each expression starts */
  readonly nowMs?: number;
  /** Per expression. @default 1000 */
  readonly timeoutMs?: number;
  /** Max depth of nested function calls (recursion). @default 200 */
  readonly maxDepth?: number;
  /** Max size of one expression's result as JSON, in bytes. @default LIMITS.maxOutputBytes */
  readonly maxResultBytes?: number;
}

/** An expression that could not be parsed, failed, ran out of time, memory or depth, or returned too much. */
export class ExpressionError extends SkeinError {
  constructor(
    message: string,
    path: string,
    /** Offset in the evaluated string where JSONata located the problem, when it did. */
    readonly position?: number,
    code: ExpressionErrorCode = 'EXPRESSION',
  ) {
    super(code, message, 'unprocessable', path, position === undefined ? undefined : { position });
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
const PAD = jsonata('$pad($s, $w, $c)');
/** `$pad` builds at most this many characters: 4x the largest result, room for strings trimmed later. */
const MAX_PAD_WIDTH = 4 * LIMITS.maxOutputBytes;

interface Guard {
  readonly clock: Clock;
  readonly started: number;
  readonly timeoutMs: number;
  readonly maxDepth: number;
  depth: number;
}

/** Thrown from the evaluation hooks to stop JSONata; turned into an ExpressionError. */
class BoundExceeded {
  constructor(
    readonly reason: string,
    readonly code: ExpressionErrorCode = 'EXPRESSION',
  ) {}
}

const compiled = new Map<string, jsonata.Expression>();

/** `evaluateTemplate` on this thread: see `evaluate.ts`. */
export async function templateInThread(
  value: unknown,
  scope: ExpressionScope,
  options: InThreadOptions,
  path = '$',
): Promise<unknown> {
  if (typeof value === 'string') return evaluateString(value, scope, options, path);
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (const [index, item] of value.entries())
      out.push(await templateInThread(item, scope, options, `${path}[${index}]`));
    return out;
  }
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value))
      out[key] = await templateInThread(item, scope, options, path + toJsonPath([key]).slice(1));
    return out;
  }
  return value;
}

/** `evaluateCondition` on this thread: see `evaluate.ts`. */
export async function conditionInThread(
  expression: string,
  scope: ExpressionScope,
  options: InThreadOptions,
  path = '$',
): Promise<boolean> {
  const value = expression.includes('{%')
    ? await templateInThread(expression, scope, options, path)
    : await evaluateSource(expression, 0, scope, options, path);
  return truthy(value);
}

/**
 * Runs one sandbox job on this thread (the sandbox's expression process calls it). `clock` times
 * the expressions: the thread's own monotonic clock, as the engine's may be a fake one.
 */
export async function runExpressionJob(job: ExpressionJob, clock: Clock): Promise<ExpressionOutcome> {
  const options: InThreadOptions = {
    clock,
    nowMs: job.nowMs,
    timeoutMs: job.timeoutMs,
    ...(job.maxDepth === undefined ? {} : { maxDepth: job.maxDepth }),
    ...(job.maxResultBytes === undefined ? {} : { maxResultBytes: job.maxResultBytes }),
  };
  try {
    const value =
      job.kind === 'condition'
        ? await conditionInThread(String(job.value), job.scope, options, job.path)
        : await templateInThread(job.value, job.scope, options, job.path);
    return { ok: true, value };
  } catch (error) {
    if (error instanceof ExpressionError) {
      const { code, message, path = job.path, position } = error;
      return {
        ok: false,
        error: {
          code: code as ExpressionErrorCode,
          message,
          path,
          ...(position === undefined ? {} : { position }),
        },
      };
    }
    // A RangeError from a parser recursing over a deeply nested source, or a bug: still the expression's.
    return {
      ok: false,
      error: {
        code: 'EXPRESSION',
        message: `the expression failed: ${describe(error).message}`,
        path: job.path,
      },
    };
  }
}

async function evaluateString(text: string, scope: ExpressionScope, options: InThreadOptions, path: string) {
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
  options: InThreadOptions,
  path: string,
): Promise<unknown> {
  const expression = compile(source, offset, path);
  const { clock, timeoutMs = 1000, maxDepth = 200 } = options;
  const started = clock.now();
  const now = options.nowMs ?? started;
  const guard: Guard = { clock, started, timeoutMs, maxDepth, depth: 0 };
  const bindings = {
    inputs: scope.inputs,
    nodes: scope.nodes,
    run: scope.run,
    item: scope.item,
    index: scope.index,
    // A reference to a tenant secret, never its value: only the http executor swaps it (ports/secrets.ts).
    secret: (name: unknown) => secretRef(String(name)),
    // JSONata reads the wall clock for these; the engine's time comes from the Clock port.
    millis: () => now,
    now: (picture?: string, zone?: string) => NOW.evaluate(undefined, { ms: now, picture, zone }),
    // A huge padded string is refused before it is built (`$pad("", 5e7)` would take 50 MB).
    pad: (s: unknown, w: unknown, c: unknown) => {
      if (typeof w === 'number' && Math.abs(w) > MAX_PAD_WIDTH)
        throw new BoundExceeded(
          `asked $pad for ${Math.abs(w)} characters; the most is ${MAX_PAD_WIDTH} (results are limited to ${LIMITS.maxOutputBytes} bytes)`,
        );
      return PAD.evaluate(undefined, { s, w, c }).catch((error: { position?: number }) => {
        // Positions inside PAD mean nothing to the author: JSONata puts the call's own back.
        delete error.position;
        throw error;
      });
    },
    [GUARD]: guard,
  };
  let result: unknown;
  try {
    result = await expression.evaluate(undefined, bindings);
  } catch (error) {
    if (error instanceof BoundExceeded)
      throw new ExpressionError(`the expression ${error.reason}`, path, offset, error.code);
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
    throw new BoundExceeded(
      `took longer than ${guard.timeoutMs}ms; check for an endless loop or recursion`,
      'EXPRESSION_TIMEOUT',
    );
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
function toJson(result: unknown, options: InThreadOptions, path: string): unknown {
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

function checkSize(json: string, options: InThreadOptions, path: string): void {
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

import { LIMITS } from '../domain/limits.ts';
import type { ExpressionJob, ExpressionSandbox, ExpressionScope } from '../ports/sandbox.ts';
import {
  conditionInThread,
  ExpressionError,
  type InThreadOptions,
  templateInThread,
} from './evaluate-in-thread.ts';

export type { ExpressionScope } from '../ports/sandbox.ts';
export { ExpressionError } from './evaluate-in-thread.ts';

export interface EvaluateOptions extends InThreadOptions {
  /**
   * Where the expressions run: the engine always passes its sandbox (worker threads with a
   * memory cap and a kill at the deadline). Without one they run on the calling thread, which
   * only the sandbox's own thread and unit tests of the language do.
   */
  readonly sandbox?: ExpressionSandbox;
}

/** A template's expressions together may take this long in the sandbox, however many there are. */
const MAX_JOB_MS = LIMITS.maxScriptMillis;

/**
 * Evaluates one template value deeply. Objects and arrays are walked; a string that is one whole
 * `{% %}` expression takes the expression's value (any JSON type, or `undefined` when the
 * expression selects nothing, e.g. a missing path); a string with embedded expressions becomes a
 * string with each result interpolated (objects and arrays as JSON text, `undefined` as '');
 * other values are returned as they are. With a sandbox, a template that holds any expression is
 * evaluated there as one job; one without runs no JSONata and is copied here.
 * Failures throw an `ExpressionError` (`EXPRESSION`, `EXPRESSION_TIMEOUT`, `EXPRESSION_MEMORY`,
 * `EXPRESSION_ENGINE`) with the JSON path of the failing value.
 * @example await evaluateTemplate({ n: '{% $inputs.a + 1 %}' }, scope, { clock, sandbox }) // { n: 2 } when a = 1
 */
export async function evaluateTemplate(
  value: unknown,
  scope: ExpressionScope,
  options: EvaluateOptions,
  path = '$',
): Promise<unknown> {
  const texts = options.sandbox ? expressionTexts(value) : [];
  if (!options.sandbox || texts.length === 0) return templateInThread(value, scope, options, path);
  return inSandbox(options.sandbox, 'template', value, texts, scope, options, path);
}

/**
 * Evaluates a `when`/`if` expression (`{% ... %}`, or bare JSONata when it has no `{%`) to a
 * boolean with JSONata's truthiness (`$boolean`): 0, '', [], {}, null and nothing are false.
 * @example await evaluateCondition('{% $inputs.count > 10 %}', scope, { clock, sandbox })
 */
export async function evaluateCondition(
  expression: string,
  scope: ExpressionScope,
  options: EvaluateOptions,
  path = '$',
): Promise<boolean> {
  if (!options.sandbox) return conditionInThread(expression, scope, options, path);
  const value = await inSandbox(options.sandbox, 'condition', expression, [expression], scope, options, path);
  return value === true;
}

async function inSandbox(
  sandbox: ExpressionSandbox,
  kind: ExpressionJob['kind'],
  value: unknown,
  texts: readonly string[],
  scope: ExpressionScope,
  options: EvaluateOptions,
  path: string,
): Promise<unknown> {
  const timeoutMs = options.timeoutMs ?? 1000;
  const count = texts.reduce((sum, text) => sum + Math.max(1, text.split('{%').length - 1), 0);
  const outcome = await sandbox.evaluate({
    kind,
    value,
    scope: visibleScope(scope, texts.join('\n')),
    path,
    nowMs: options.nowMs ?? options.clock.now(),
    timeoutMs,
    ...(options.maxDepth === undefined ? {} : { maxDepth: options.maxDepth }),
    ...(options.maxResultBytes === undefined ? {} : { maxResultBytes: options.maxResultBytes }),
    budgetMs: Math.max(timeoutMs, Math.min(count * timeoutMs, MAX_JOB_MS)),
  });
  if (outcome.ok) return outcome.value;
  const { message, path: at, position, code } = outcome.error;
  throw new ExpressionError(message, at, position, code);
}

/** The strings of a template that hold an expression (an unclosed `{%` included: it is an error). */
function expressionTexts(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') {
    if (value.includes('{%')) out.push(value);
  } else if (Array.isArray(value)) {
    for (const item of value) expressionTexts(item, out);
  } else if (value !== null && typeof value === 'object') {
    for (const item of Object.values(value)) expressionTexts(item, out);
  }
  return out;
}

/**
 * The part of the scope the expressions can read, so only that is copied to the sandbox's
 * thread. A JSONata variable is read by writing its name (`$inputs`); the one way to read one
 * without writing it is `$eval` of a built string, so any `eval` keeps everything. The test is on
 * the bare word, which over-approximates (a field named `inputs` keeps `$inputs` too): safe.
 */
function visibleScope(scope: ExpressionScope, text: string): ExpressionScope {
  const all = text.includes('eval');
  const reads = (name: string) => all || text.includes(name);
  return {
    inputs: reads('inputs') ? scope.inputs : undefined,
    nodes: reads('nodes') ? scope.nodes : {},
    run: scope.run,
    ...(scope.item !== undefined && reads('item') ? { item: scope.item } : {}),
    ...(scope.index !== undefined ? { index: scope.index } : {}),
  };
}

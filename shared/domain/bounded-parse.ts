import jsyaml from 'js-yaml';
import { Composer, type Document, Lexer, type LineCounter, Parser, YAMLParseError } from 'yaml';
import { LIMITS } from './limits.ts';
import type { Problem } from './problems.ts';

/**
 * Parsing that cannot be driven into a stack overflow. JSON.parse's callers (duplicate-key scans,
 * JSON.stringify, validation) and both YAML parsers recurse once per level of nesting, so a
 * document nested a few thousand levels deep overflows the stack, and a V8 regular expression
 * compiled at that moment aborts the whole process. Every parse of outside input goes through here:
 * - JSON: one linear scan counts the nesting before anything parses (`jsonNestingProblem`);
 * - YAML, fast path: js-yaml stops at the limit through its per-node listener (`loadYamlBounded`);
 * - YAML, careful path: the `yaml` package's lexer and parser are iterative; their stack is the
 *   nesting, checked token by token before the recursive composer runs (`parseYamlBounded`).
 * Anything that still throws a `RangeError` becomes a problem with a clean message.
 */

/** A document nested too deeply, or that could not be parsed within the limits. */
export class NestingError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.message);
    this.name = 'NestingError';
  }
}

/** Where a problem sits in the text, 1-based. */
interface Position {
  readonly line: number;
  readonly column: number;
}

/**
 * The problem reported for a document nested deeper than `maxDepth` levels of arrays/objects.
 * @example tooDeep({ line: 1, column: 257 }, 256).message // "... at line 1, column 257 ..."
 */
export function tooDeep(at: Position | undefined, maxDepth: number = LIMITS.maxNestingDepth): Problem {
  const where = at ? ` (at line ${at.line}, column ${at.column})` : '';
  return {
    code: 'LIMIT',
    message: `the document nests arrays and objects more than ${maxDepth} levels deep${where}; the limit is ${maxDepth}: flatten the structure`,
    path: '$',
  };
}

/** The problem for a parser that ran out of stack or memory anyway: never the engine's own words. */
export function unparsable(format: 'JSON' | 'YAML'): Problem {
  return {
    code: 'LIMIT',
    message: `the ${format} document is too deeply nested or too complex to parse: simplify its structure`,
    path: '$',
  };
}

/**
 * Scans JSON text once and returns a problem if arrays and objects nest deeper than `maxDepth`.
 * Linear, allocation-free, and safe on invalid JSON (it only counts brackets outside strings).
 * @example jsonNestingProblem('[[1]]', 1)?.code === 'LIMIT'
 */
export function jsonNestingProblem(
  text: string,
  maxDepth: number = LIMITS.maxNestingDepth,
): Problem | undefined {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === OPEN_SQUARE || c === OPEN_CURLY) {
      depth++;
      if (depth > maxDepth) return tooDeep(positionOf(text, i), maxDepth);
    } else if ((c === CLOSE_SQUARE || c === CLOSE_CURLY) && depth > 0) {
      depth--;
    }
  }
  return undefined;
}

/**
 * `JSON.parse` behind the nesting scan: the value, or the problem (too deep, or not JSON).
 * Use it for any JSON from outside: API bodies, callback outputs, webhook bodies.
 * @example parseJsonBounded('{"a":[1]}') // { ok: true, value: { a: [1] } }
 */
export function parseJsonBounded(
  text: string,
  maxDepth: number = LIMITS.maxNestingDepth,
): { ok: true; value: unknown } | { ok: false; problem: Problem } {
  const deep = jsonNestingProblem(text, maxDepth);
  if (deep) return { ok: false, problem: deep };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    if (error instanceof RangeError) return { ok: false, problem: unparsable('JSON') };
    const message = error instanceof Error ? error.message : String(error);
    return { ok: false, problem: { code: 'PARSE', message: `invalid JSON: ${message}`, path: '$' } };
  }
}

/**
 * js-yaml's `load` (CORE schema) with its recursion capped, then the exact nesting measured on the
 * value: a document over `maxDepth` throws a `NestingError` (without a position; the careful path
 * gives one). js-yaml counts a level per node and adds a wrapper level around some collections, so
 * its own cap sits at twice the limit, far below the ~3,000 levels where it overflows the stack.
 * Other errors (syntax, duplicate keys) are js-yaml's own.
 */
export function loadYamlBounded(text: string, maxDepth: number = LIMITS.maxNestingDepth): unknown {
  const options: LoadOptionsWithDepth = { schema: jsyaml.CORE_SCHEMA, maxDepth: 2 * maxDepth + 4 };
  const value = jsyaml.load(text, options);
  if (nestingOf(value, maxDepth) > maxDepth) throw new NestingError(tooDeep(undefined, maxDepth));
  return value;
}

/** js-yaml 4.3 has a depth limit (100 by default) that @types/js-yaml 4.0 does not declare. */
interface LoadOptionsWithDepth extends jsyaml.LoadOptions {
  maxDepth?: number;
}

const COLLECTIONS = new Set(['block-map', 'block-seq', 'flow-collection']);

/**
 * The `yaml` package's `parseDocument`, with the nesting checked between its iterative parser and
 * its recursive composer. Returns the first document (and reports more than one as the package
 * does), or throws a `NestingError`.
 */
export function parseYamlBounded(
  text: string,
  lineCounter: LineCounter,
  options: { uniqueKeys: boolean },
  maxDepth: number = LIMITS.maxNestingDepth,
): Document.Parsed {
  const parser = new Parser(lineCounter.addNewLine);
  lineCounter.addNewLine(0);
  const tokens = [];
  for (const lexeme of new Lexer().lex(text)) {
    const start = parser.offset;
    tokens.push(...parser.next(lexeme));
    // The stack holds the document, the open collections and at most one scalar on top.
    if (parser.stack.length - 1 > maxDepth) {
      const open = parser.stack.filter((token) => COLLECTIONS.has(token.type)).length;
      if (open > maxDepth) {
        const { line, col } = lineCounter.linePos(start);
        throw new NestingError(tooDeep({ line, column: col }, maxDepth));
      }
    }
  }
  tokens.push(...parser.end());
  const docs = [...new Composer({ ...options, prettyErrors: false }).compose(tokens, true, text.length)];
  const [first, second] = docs;
  if (first === undefined) throw new Error('the yaml composer returned no document');
  if (second !== undefined) {
    const message = 'Source contains multiple documents; please use YAML.parseAllDocuments()';
    first.errors.push(new YAMLParseError([second.range[0], second.range[1]], 'MULTIPLE_DOCS', message));
  }
  return first;
}

/** Objects a plain tree walk visits before `nestingOf` suspects shared subtrees and memoizes. */
const TREE_WALK_BUDGET = 1_000_000;

/**
 * The deepest nesting of arrays/objects in a parsed value (`[[1]]` is 2), or `Infinity` for a
 * circular one; stops counting past `limit`. Iterative. A plain tree walk serves parsed JSON and
 * YAML without aliases; past a million visits it switches to a walk that visits each object once,
 * because aliases share objects, so a few lines can nest far deeper (and wider) than the text does.
 * @example nestingOf({ a: [1, { b: 2 }] }) === 3
 */
export function nestingOf(value: unknown, limit: number = LIMITS.maxNestingDepth): number {
  if (typeof value !== 'object' || value === null) return 0;
  const values: unknown[] = [value];
  const depths: number[] = [1];
  let deepest = 0;
  for (let visits = 0; values.length > 0; visits++) {
    if (visits > TREE_WALK_BUDGET) return nestingOfShared(value, limit);
    const node = values.pop() as object;
    const depth = depths.pop() as number;
    if (depth > deepest) {
      deepest = depth;
      if (depth > limit) return depth;
    }
    const children = Array.isArray(node) ? node : Object.values(node);
    for (const child of children) {
      if (typeof child === 'object' && child !== null) {
        values.push(child);
        depths.push(depth + 1);
      }
    }
  }
  return deepest;
}

/** `nestingOf` for a graph of shared objects: each object's height is computed once. */
function nestingOfShared(root: object, limit: number): number {
  const height = new Map<object, number>();
  const onPath = new Set<object>();
  const stack: Array<{ node: object; children: unknown[]; next: number; deepest: number }> = [];
  const enter = (node: object) => {
    onPath.add(node);
    stack.push({ node, children: Object.values(node), next: 0, deepest: 0 });
  };
  enter(root);
  let result = 0;
  while (stack.length > 0) {
    if (stack.length > limit) return stack.length;
    const frame = stack[stack.length - 1] as (typeof stack)[number];
    if (frame.next < frame.children.length) {
      const child = frame.children[frame.next++];
      if (typeof child !== 'object' || child === null) continue;
      if (onPath.has(child)) return Number.POSITIVE_INFINITY;
      const known = height.get(child);
      if (known === undefined) enter(child);
      else frame.deepest = Math.max(frame.deepest, known);
      continue;
    }
    stack.pop();
    onPath.delete(frame.node);
    const own = frame.deepest + 1;
    height.set(frame.node, own);
    const parent = stack[stack.length - 1];
    if (parent) parent.deepest = Math.max(parent.deepest, own);
    else result = own;
  }
  return result;
}

/** Line and column (1-based) of an offset. */
export function positionOf(text: string, offset: number): Position {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_SQUARE = 0x5b;
const CLOSE_SQUARE = 0x5d;
const OPEN_CURLY = 0x7b;
const CLOSE_CURLY = 0x7d;

import { visit } from 'jsonc-parser';
import { isMap, isPair, isScalar, isSeq, LineCounter, type Node } from 'yaml';
import {
  jsonNestingProblem,
  loadYamlBounded,
  NestingError,
  nestingOf,
  parseYamlBounded,
  tooDeep,
  unparsable,
} from './bounded-parse.ts';
import { LIMITS } from './limits.ts';
import { type PathSegment, type Problem, toJsonPath } from './problems.ts';

export type SourceFormat = 'yaml' | 'json';

export interface ParsedSource {
  /** The parsed value; undefined when the text could not be parsed at all. */
  readonly value: unknown;
  readonly problems: Problem[];
}

/** Picks the format from a file name or a media type; YAML unless it says JSON. */
export function sourceFormatOf(nameOrMediaType: string | undefined): SourceFormat {
  return nameOrMediaType && /(\.json$|[/+]json\b)/i.test(nameOrMediaType) ? 'json' : 'yaml';
}

/**
 * Parses a definition or an API body written in YAML or JSON. Reports syntax errors with line and
 * column, every duplicate key with its JSON path (JSON.parse and most YAML loaders silently keep
 * the last one), sources over the 1 MB limit, and nesting deeper than 256 levels (checked before
 * any recursive code runs, see `bounded-parse.ts`). Never throws on input.
 */
export function parseSource(text: string, format: SourceFormat): ParsedSource {
  try {
    return parseUnchecked(text, format);
  } catch (error) {
    // The nesting checks keep parsers off the stack limit; this is the net behind them.
    if (error instanceof NestingError) return { value: undefined, problems: [error.problem] };
    if (error instanceof RangeError) {
      return { value: undefined, problems: [unparsable(format === 'json' ? 'JSON' : 'YAML')] };
    }
    throw error;
  }
}

function parseUnchecked(text: string, format: SourceFormat): ParsedSource {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > LIMITS.maxDefinitionBytes) {
    return {
      value: undefined,
      problems: [
        {
          code: 'LIMIT',
          message: `the definition is ${bytes} bytes; the limit is ${LIMITS.maxDefinitionBytes} bytes (1 MB): split it into workflows that call each other`,
          path: '$',
        },
      ],
    };
  }
  if (format === 'json') return parseJson(text);
  // Fast path: js-yaml is ~10x faster than `yaml` on large documents and throws on any duplicate
  // key. Documents that may hold aliases skip it: only `yaml` bounds alias expansion.
  if (!MAY_HAVE_ALIAS.test(text)) {
    try {
      return { value: loadYamlBounded(text), problems: [] };
    } catch {
      // Fall through: the careful parser reports every syntax error, duplicate key and nesting
      // problem with its line and column.
    }
  }
  return parseYamlCarefully(text);
}

/** An alias node (`*name`) after whitespace or a flow indicator; may also match text in strings. */
const MAY_HAVE_ALIAS = /(?:^|[\s[{,])\*[^\s,[\]{}]/;

function parseJson(text: string): ParsedSource {
  const deep = jsonNestingProblem(text);
  if (deep) return { value: undefined, problems: [deep] };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return {
      value: undefined,
      problems: [{ code: 'PARSE', message: `invalid JSON: ${messageOf(error)}`, path: '$' }],
    };
  }
  // JSON.parse silently keeps the last of duplicate keys; a visitor over the text finds them all.
  const problems: Problem[] = [];
  const objects: Array<{ keys: Set<string>; path: PathSegment[] }> = [];
  visit(text, {
    onObjectBegin: (_offset, _length, _line, _column, pathSupplier) => {
      objects.push({ keys: new Set(), path: pathSupplier() });
    },
    onObjectEnd: () => {
      objects.pop();
    },
    onObjectProperty: (property, _offset, _length, line) => {
      const current = objects.at(-1);
      if (!current) return;
      if (current.keys.has(property)) {
        problems.push({
          code: 'DUPLICATE_KEY',
          message: `key "${property}" appears more than once (again at line ${line + 1}); keep one`,
          path: toJsonPath([...current.path, property]),
        });
      }
      current.keys.add(property);
    },
  });
  return { value, problems };
}

/** The `yaml` parser: slower, but it reports every error and bounds alias expansion. */
function parseYamlCarefully(text: string): ParsedSource {
  const lineCounter = new LineCounter();
  const doc = parseYamlBounded(text, lineCounter, { uniqueKeys: false });
  if (doc.errors.length > 0) {
    return {
      value: undefined,
      problems: doc.errors.map((error) => {
        const at = lineCounter.linePos(error.pos[0]);
        return {
          code: 'PARSE',
          message: `invalid YAML at line ${at.line}, column ${at.col}: ${cleanMessage(error.message)}`,
          path: '$',
        };
      }),
    };
  }
  const problems: Problem[] = [];
  findDuplicateKeys(doc.contents, [], problems, lineCounter);
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    if (error instanceof RangeError) throw error;
    return {
      value: undefined,
      problems: [...problems, { code: 'PARSE', message: cleanMessage(messageOf(error)), path: '$' }],
    };
  }
  // Aliases share nodes: `&a [[...]]` used inside another deep list nests deeper than the text.
  if (nestingOf(value) > LIMITS.maxNestingDepth) return { value: undefined, problems: [tooDeep(undefined)] };
  return { value, problems };
}

function findDuplicateKeys(node: Node | null, path: PathSegment[], out: Problem[], lines: LineCounter): void {
  // An explicit stack: deeply nested input must not overflow the call stack.
  const stack: Array<{ node: Node | null; path: PathSegment[] }> = [{ node, path }];
  while (stack.length > 0) {
    const { node: current, path: at } = stack.pop() as { node: Node | null; path: PathSegment[] };
    if (isMap(current)) {
      const seen = new Set<string>();
      for (const pair of current.items) {
        if (!isPair(pair)) continue;
        const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        if (seen.has(key)) {
          const pos = isScalar(pair.key) && pair.key.range ? lines.linePos(pair.key.range[0]) : undefined;
          out.push({
            code: 'DUPLICATE_KEY',
            message: `key "${key}" appears more than once${pos ? ` (again at line ${pos.line})` : ''}; keep one`,
            path: toJsonPath([...at, key]),
          });
        }
        seen.add(key);
        stack.push({ node: pair.value as Node | null, path: [...at, key] });
      }
    } else if (isSeq(current)) {
      current.items.forEach((item, index) => {
        stack.push({ node: item as Node | null, path: [...at, index] });
      });
    }
  }
}

/** The first line of a parser's message; an engine error caught by the parser is not shown as is. */
function cleanMessage(message: string): string {
  if (/call stack|allocation failed|out of memory/i.test(message)) {
    return 'the document is too deeply nested or too complex to parse: simplify its structure';
  }
  return message.split('\n')[0] ?? message;
}
const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

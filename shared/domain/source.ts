import jsyaml from 'js-yaml';
import { visit } from 'jsonc-parser';
import { isMap, isPair, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
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
 * Parses a definition written in YAML or JSON. Reports syntax errors with line and column,
 * every duplicate key with its JSON path (JSON.parse and most YAML loaders silently keep the last
 * one), and sources over the 1 MB limit.
 */
export function parseSource(text: string, format: SourceFormat): ParsedSource {
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
      return { value: jsyaml.load(text, { schema: jsyaml.CORE_SCHEMA }), problems: [] };
    } catch {
      // Fall through: the careful parser reports every syntax error and duplicate key with its path.
    }
  }
  return parseYamlCarefully(text);
}

/** An alias node (`*name`) after whitespace or a flow indicator; may also match text in strings. */
const MAY_HAVE_ALIAS = /(?:^|[\s[{,])\*[^\s,[\]{}]/;

function parseJson(text: string): ParsedSource {
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
  const doc = parseDocument(text, { uniqueKeys: false, prettyErrors: false, lineCounter });
  if (doc.errors.length > 0) {
    return {
      value: undefined,
      problems: doc.errors.map((error) => {
        const at = lineCounter.linePos(error.pos[0]);
        return {
          code: 'PARSE',
          message: `invalid YAML at line ${at.line}, column ${at.col}: ${firstLine(error.message)}`,
          path: '$',
        };
      }),
    };
  }
  const problems: Problem[] = [];
  findDuplicateKeys(doc.contents, [], problems, lineCounter);
  try {
    return { value: doc.toJS({ maxAliasCount: 100 }), problems };
  } catch (error) {
    return {
      value: undefined,
      problems: [...problems, { code: 'PARSE', message: messageOf(error), path: '$' }],
    };
  }
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

const firstLine = (message: string) => message.split('\n')[0] ?? message;
const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

import jsonata from 'jsonata';

/** One `{% ... %}` expression found in a string. */
export interface ExpressionSpan {
  /** The JSONata text between the delimiters. */
  readonly source: string;
  /** Offset of the first character of `source` in the containing string. */
  readonly offset: number;
}

export interface ExpressionCheck {
  readonly error?: { message: string; position: number };
  /** Node ids read as `$nodes.<id>`. */
  readonly nodeRefs: string[];
}

const OPEN = '{%';
const CLOSE = '%}';

/** Finds every `{% ... %}` in a string; an opening without a closing is reported as an error. */
export function findExpressions(text: string): { spans: ExpressionSpan[]; unclosedAt?: number } {
  const spans: ExpressionSpan[] = [];
  let from = 0;
  for (;;) {
    const open = text.indexOf(OPEN, from);
    if (open < 0) return { spans };
    const close = text.indexOf(CLOSE, open + OPEN.length);
    if (close < 0) return { spans, unclosedAt: open };
    spans.push({ source: text.slice(open + OPEN.length, close), offset: open + OPEN.length });
    from = close + CLOSE.length;
  }
}

/** True when the whole string is one expression: its value is the expression's value, not a string. */
export function isWholeExpression(text: string): boolean {
  const trimmed = text.trim();
  return trimmed.startsWith(OPEN) && trimmed.endsWith(CLOSE) && trimmed.indexOf(OPEN, 1) < 0;
}

/**
 * Parses one JSONata expression and lists the node outputs it reads.
 * @example checkExpression('$nodes.fetch.output.total > 10').nodeRefs // ['fetch']
 */
export function checkExpression(source: string): ExpressionCheck {
  if (source.trim() === '')
    return { error: { message: 'the expression is empty', position: 0 }, nodeRefs: [] };
  let ast: unknown;
  try {
    ast = jsonata(source).ast();
  } catch (error) {
    const { message, position } = error as { message?: string; position?: number };
    return { error: { message: message ?? String(error), position: position ?? 0 }, nodeRefs: [] };
  }
  return { nodeRefs: nodeRefsOf(ast) };
}

/** Walks a JSONata AST for paths that start `$nodes.<name>`. */
function nodeRefsOf(ast: unknown): string[] {
  const refs = new Set<string>();
  const stack: unknown[] = [ast];
  while (stack.length > 0) {
    const current = stack.pop();
    if (Array.isArray(current)) {
      stack.push(...current);
    } else if (current && typeof current === 'object') {
      const node = current as { type?: string; steps?: Array<{ type?: string; value?: unknown }> };
      const [first, second] = node.steps ?? [];
      if (
        node.type === 'path' &&
        first?.type === 'variable' &&
        first.value === 'nodes' &&
        second?.type === 'name'
      ) {
        refs.add(String(second.value));
      }
      stack.push(...Object.values(current));
    }
  }
  return [...refs];
}

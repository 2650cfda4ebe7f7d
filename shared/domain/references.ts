import { checkExpression, findExpressions } from './expressions.ts';
import { type PathSegment, type Problem, toJsonPath } from './problems.ts';
import { didYouMean } from './suggest.ts';

/** Fields of a node whose strings may hold `{% %}` expressions. */
const EXPRESSION_FIELDS = ['with', 'when', 'if', 'items'] as const;

/**
 * Parses every `{% %}` expression of the definition (node fields and `outputs`) and checks the
 * node outputs it reads: EXPRESSION problems carry the position inside the string.
 */
export function checkReferences(
  definition: object,
  nodes: Record<string, Record<string, unknown> | undefined>,
  ids: readonly string[],
): Problem[] {
  const known = new Set(ids);
  const problems: Problem[] = [];
  for (const id of ids) {
    const node = nodes[id];
    if (!node || typeof node !== 'object') continue;
    const roots: Array<[unknown, PathSegment[]]> = EXPRESSION_FIELDS.map((f) => [node[f], ['nodes', id, f]]);
    const template = node.node as Record<string, unknown> | undefined;
    if (node.type === 'map' && template && typeof template === 'object') {
      roots.push(
        ...EXPRESSION_FIELDS.map((f): [unknown, PathSegment[]] => [template[f], ['nodes', id, 'node', f]]),
      );
    }
    for (const [value, path] of roots) checkStrings(value, path, id, known, ids, problems);
  }
  const outputs = (definition as { outputs?: unknown }).outputs;
  checkStrings(outputs, ['outputs'], undefined, known, ids, problems);
  return problems;
}

function checkStrings(
  root: unknown,
  rootPath: PathSegment[],
  ownerId: string | undefined,
  known: Set<string>,
  ids: readonly string[],
  problems: Problem[],
) {
  const stack: Array<[unknown, PathSegment[]]> = [[root, rootPath]];
  while (stack.length > 0) {
    const [value, path] = stack.pop() as [unknown, PathSegment[]];
    if (typeof value === 'string') {
      checkString(value, toJsonPath(path), ownerId, known, ids, problems);
    } else if (Array.isArray(value)) {
      value.forEach((item, index) => {
        stack.push([item, [...path, index]]);
      });
    } else if (value !== null && typeof value === 'object') {
      for (const [key, item] of Object.entries(value)) stack.push([item, [...path, key]]);
    }
  }
}

function checkString(
  text: string,
  path: string,
  ownerId: string | undefined,
  known: Set<string>,
  ids: readonly string[],
  problems: Problem[],
) {
  const { spans, unclosedAt } = findExpressions(text);
  if (unclosedAt !== undefined) {
    problems.push({
      code: 'EXPRESSION',
      message: `"{%" at position ${unclosedAt} is never closed; end the expression with "%}"`,
      path,
    });
  }
  for (const span of spans) {
    const check = checkExpression(span.source);
    if (check.error) {
      problems.push({
        code: 'EXPRESSION',
        message: `invalid JSONata at position ${span.offset + check.error.position}: ${check.error.message}`,
        path,
      });
      continue;
    }
    for (const ref of check.nodeRefs) {
      if (ref === ownerId) {
        problems.push({
          code: 'EXPRESSION',
          message: `node "${ownerId}" reads its own output ($nodes.${ref}); read a parent's output instead`,
          path,
        });
      } else if (!known.has(ref)) {
        problems.push({
          code: 'UNKNOWN_NODE',
          message: `$nodes.${ref} names a node that is not in this workflow${didYouMean(ref, ids)}`,
          path,
        });
      }
    }
  }
}

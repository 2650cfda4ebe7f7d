import fc from 'fast-check';
import { nastyJson, nastyNumber, nastyString, POLLUTION_KEYS } from './hostile.ts';

/**
 * Near-valid values: a valid value with exactly one thing wrong (a field removed, of the wrong
 * type, null, out of range, or an extra field), the inputs that exercise a validator's edges.
 */

type Path = readonly (string | number)[];
type Mutation =
  | { readonly op: 'delete' }
  | { readonly op: 'replace'; readonly value: unknown }
  | { readonly op: 'add'; readonly key: string; readonly value: unknown };

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.constant({ op: 'delete' as const }),
  fc.record({
    op: fc.constant('replace' as const),
    value: fc.oneof(
      nastyJson,
      nastyString,
      nastyNumber,
      fc.constantFrom<unknown>(null, true, [], {}, '', 0, -1, [[]], { '': '' }),
    ),
  }),
  fc.record({
    op: fc.constant('add' as const),
    key: fc.oneof(fc.constantFrom(...POLLUTION_KEYS), nastyString, fc.constantFrom('nodes', 'type', 'x')),
    value: nastyJson,
  }),
);

/** `valid` with one mutation at one of its paths (the root included). */
export function nearValid<T>(valid: fc.Arbitrary<T>): fc.Arbitrary<unknown> {
  return fc
    .tuple(valid, fc.nat(), mutationArb)
    .map(([value, pick, mutation]) => applyAt(value, pick, mutation));
}

function applyAt(value: unknown, pick: number, mutation: Mutation): unknown {
  const paths = pathsOf(value, 400);
  const path = paths[pick % paths.length] ?? [];
  const copy = structuredClone(value);
  if (path.length === 0) return applyAtRoot(copy, mutation);
  const parent = path.slice(0, -1).reduce<unknown>((at, key) => (at as Record<string, unknown>)[key], copy);
  const last = path[path.length - 1] as string | number;
  const container = parent as Record<string | number, unknown>;
  if (mutation.op === 'delete') {
    if (Array.isArray(container)) container.splice(last as number, 1);
    else delete container[last];
  } else if (mutation.op === 'replace') {
    container[last] = mutation.value;
  } else {
    const target = container[last];
    if (isObject(target)) defineKey(target, mutation.key, mutation.value);
    else container[last] = mutation.value;
  }
  return copy;
}

function applyAtRoot(root: unknown, mutation: Mutation): unknown {
  if (mutation.op === 'delete') return {};
  if (mutation.op === 'replace') return mutation.value;
  if (isObject(root)) {
    defineKey(root, mutation.key, mutation.value);
    return root;
  }
  return mutation.value;
}

/** Sets a key as an own property, `__proto__` included (plain assignment would set the prototype). */
function defineKey(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Every path to a value inside `value`, breadth first, at most `max`. */
export function pathsOf(value: unknown, max: number): Path[] {
  const out: Path[] = [[]];
  const queue: Array<{ at: unknown; path: Path }> = [{ at: value, path: [] }];
  while (queue.length > 0 && out.length < max) {
    const { at, path } = queue.shift() as { at: unknown; path: Path };
    const entries: Array<[string | number, unknown]> = Array.isArray(at)
      ? at.map((item, index) => [index, item])
      : isObject(at)
        ? Object.entries(at)
        : [];
    for (const [key, child] of entries) {
      out.push([...path, key]);
      queue.push({ at: child, path: [...path, key] });
    }
  }
  return out;
}

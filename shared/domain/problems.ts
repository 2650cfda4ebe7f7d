/**
 * Problems a user can see: every one has a stable `code`, a message that says what to do, and
 * the JSON path of the bad value (`$.nodes.fetch.needs[0]`).
 */
export const PROBLEM_CODES = [
  'PARSE',
  'SCHEMA',
  'DUPLICATE_KEY',
  'UNKNOWN_NODE',
  'SELF_DEPENDENCY',
  'CYCLE',
  'UNREACHABLE',
  'BRANCH',
  'EXPRESSION',
  'LIMIT',
  'NODE_TYPE_UNAVAILABLE',
  'TRIGGER',
] as const;

export type ProblemCode = (typeof PROBLEM_CODES)[number];

export interface Problem {
  readonly code: ProblemCode;
  readonly message: string;
  /** JSON path of the offending value, `$` for the whole document. */
  readonly path: string;
}

export type PathSegment = string | number;

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/**
 * Renders path segments as a JSON path.
 * @example toJsonPath(['nodes', 'fetch', 'needs', 0]) === '$.nodes.fetch.needs[0]'
 */
export function toJsonPath(segments: readonly PathSegment[]): string {
  let out = '$';
  for (const segment of segments) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (IDENTIFIER.test(segment)) out += `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

/**
 * What kind of refusal an error is, in the domain's terms; the API maps each kind to its HTTP
 * status (`shared/api/errors.ts`), the CLI to its exit code.
 */
export type RefusalKind =
  | 'invalid'
  | 'unauthenticated'
  | 'forbidden'
  | 'not_found'
  | 'method_not_allowed'
  | 'conflict'
  | 'too_large'
  | 'unsupported_media'
  | 'unprocessable'
  | 'rate_limited';

/** A refusal a user can act on: a code, a message that says what to do, an optional JSON path. */
export class SkeinError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly kind: RefusalKind = 'invalid',
    readonly path?: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'SkeinError';
  }
}

export class NotFoundError extends SkeinError {
  constructor(message: string, path?: string) {
    super('NOT_FOUND', message, 'not_found', path);
  }
}

export class ConflictError extends SkeinError {
  constructor(code: string, message: string, path?: string) {
    super(code, message, 'conflict', path);
  }
}

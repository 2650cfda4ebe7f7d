import { z } from 'zod';
import { errorSchema } from '../../shared/api/schemas.ts';
import type { Answer, SentRequest } from './types.ts';

/**
 * What every answer must satisfy. An answer is judged on its own (status, error shape, leaks,
 * response schema) and against what the request was (a cross-tenant request answers 404).
 */
export interface Finding {
  readonly oracle: string;
  readonly detail: string;
}

/** Internal text: frames, file paths, V8, SDK and socket messages. Never in any answer. */
const INTERNAL_LEAKS: ReadonlyArray<readonly [name: string, pattern: RegExp]> = [
  ['stack frame', /\bat (?:async )?[\w$.<>[\] ]*\(?(?:file:\/\/|\/|node:)[^\s)]*:\d+:\d+/],
  ['stack frame', /\n\s+at \S/],
  ['file path', /(?:\/work\/|\/home\/|\/usr\/lib\/|\/tmp\/|[A-Z]:\\)[\w./\\-]+/],
  ['node_modules', /node_modules/],
  ['source file', /\b[\w-]+\.(?:ts|mjs|cjs|js):\d+/],
  // V8's own words (a user's script in the sandbox may legitimately report "out of memory").
  ['stack overflow', /Maximum call stack size|JavaScript heap out of memory|Allocation failed/],
  [
    'AWS SDK error',
    /ValidationException|ConditionalCheckFailed|ResourceNotFoundException|TransactionCanceled|ProvisionedThroughput|ItemCollectionSize|\$metadata|x-amz-|UnrecognizedClient|AccessDenied/,
  ],
  ['socket error', /ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|EADDRINUSE|socket hang up/],
];

/**
 * JavaScript's own words: fine inside what a user's script reported (a node's error in a run),
 * never in a message the API writes itself (an error body, a validation result).
 */
const ENGINE_TEXT: ReadonlyArray<readonly [name: string, pattern: RegExp]> = [
  [
    'error class',
    /\b(?:TypeError|RangeError|ReferenceError|SyntaxError|URIError|EvalError|AggregateError|InternalError)\b|\bError: /,
  ],
  [
    'JS engine text',
    /undefined is not|is not a function|Cannot read propert|Cannot convert|\[object Object\]|is not iterable/,
  ],
];

/** Finds internal text that the request itself did not carry (echoing input is not a leak). */
export function leaksIn(text: string, request: SentRequest, apiMessage: boolean): Finding[] {
  const sent = `${request.path}\n${JSON.stringify(request.headers)}\n${request.body ?? ''}`;
  const decodedPath = safeDecode(request.path);
  const patterns = apiMessage ? [...INTERNAL_LEAKS, ...ENGINE_TEXT] : INTERNAL_LEAKS;
  const found: Finding[] = [];
  for (const [name, pattern] of patterns) {
    const match = pattern.exec(text)?.[0];
    if (match === undefined) continue;
    if (sent.includes(match) || decodedPath.includes(match) || jsonEscaped(sent).includes(match)) continue;
    found.push({ oracle: 'no-leak', detail: `${name}: ${JSON.stringify(match.slice(0, 120))}` });
  }
  return found;
}

const safeDecode = (text: string) => {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
};
/** The request as it would read inside a JSON string (an echoed value is escaped). */
const jsonEscaped = (text: string) => JSON.stringify(text);

/** An error body must be exactly `{error:{code,message,path?,errors?}}`. */
const strictError = z.strictObject({
  error: z.strictObject({
    code: z.string().regex(/^[A-Z][A-Z0-9_]*$/),
    message: z.string().min(1),
    path: z.string().optional(),
    errors: errorSchema.shape.error.shape.errors,
  }),
});

/** Checks the status class and, for 4xx, the error shape; returns the error code when there is one. */
export function checkStatusAndShape(
  request: SentRequest,
  answer: Answer,
): { findings: Finding[]; code?: string } {
  const findings: Finding[] = [];
  if (answer.status >= 500) findings.push({ oracle: 'no-5xx', detail: `status ${answer.status}` });
  if (answer.status < 200 || (answer.status >= 300 && answer.status < 400)) {
    findings.push({ oracle: 'status', detail: `unexpected status ${answer.status}` });
  }
  if (answer.status < 400 || request.method === 'HEAD') return { findings };
  let body: unknown;
  try {
    body = JSON.parse(answer.text);
  } catch {
    findings.push({
      oracle: 'error-shape',
      detail: `a ${answer.status} whose body is not JSON: ${JSON.stringify(answer.text.slice(0, 200))}`,
    });
    return { findings };
  }
  const parsed = strictError.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    findings.push({ oracle: 'error-shape', detail: `${issue?.path.join('.') || '$'}: ${issue?.message}` });
    return { findings };
  }
  if (!/^application\/json/.test(answer.headers['content-type'] ?? '')) {
    findings.push({ oracle: 'error-shape', detail: `content-type ${answer.headers['content-type']}` });
  }
  return { findings, code: parsed.data.error.code };
}

/** Texts of the other tenant (its key, key id, workflow and run ids) found in an answer. */
export function crossTenantLeaks(text: string, markers: readonly string[], request: SentRequest): Finding[] {
  // A marker the request itself carried (a 404 naming the id asked for) is an echo, not a leak.
  const sent = `${request.path} ${request.body ?? ''}`;
  return markers
    .filter((marker) => marker.length >= 8 && text.includes(marker) && !sent.includes(marker))
    .map((marker) => ({
      oracle: 'tenant-isolation',
      detail: `the answer holds the other tenant's ${JSON.stringify(marker.slice(0, 40))}`,
    }));
}

/** Statuses a request aimed at another tenant's resource may get: none tells it exists. */
const CROSS_TENANT_STATUSES = new Set([400, 401, 404, 405, 413, 415, 429]);

export function checkCrossTenant(answer: Answer): Finding[] {
  if (CROSS_TENANT_STATUSES.has(answer.status)) return [];
  return [
    {
      oracle: 'tenant-isolation',
      detail: `a request for another tenant's resource got ${answer.status}, not 404`,
    },
  ];
}

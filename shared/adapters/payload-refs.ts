/**
 * How `OffloadingRunStore` stores a JSON value in the run store: the value itself when it is small,
 * or a reference to a payload object when its JSON text is over the threshold. Both are JSON, so
 * every run store keeps them as it keeps any output.
 *
 * | value                                                        | stored as                            |
 * | ------------------------------------------------------------ | ------------------------------------ |
 * | JSON text over the threshold                                 | `{"$skeinPayload": {key, bytes, sha256}}` |
 * | an object whose only key is `$skeinPayload` or `$skeinLiteral` | `{"$skeinLiteral": <the value>}`     |
 * | anything else                                                | the value                            |
 *
 * The escape makes the mapping one-to-one: no output a tenant writes can pass for a reference.
 * A reference is also checked on read: its key must be of the run being read, and the bytes must
 * hash to its sha256.
 */
import { createHash } from 'node:crypto';
import type { PayloadStore } from '../ports/payload-store.ts';
import { RunStoreError } from '../ports/run-store.ts';

const REF = '$skeinPayload';
const LITERAL = '$skeinLiteral';

/** What the run store holds in place of a large value. */
export interface PayloadRef {
  /** `<tenant>/<runId>/<part>/<sha256>.json`. */
  readonly key: string;
  /** Bytes of the JSON text. */
  readonly bytes: number;
  /** sha256 of the JSON text, hex. */
  readonly sha256: string;
}

/** A value made ready for the run store, with the payload object to write first (if any). */
export interface Encoded {
  readonly stored: unknown;
  readonly object?: { readonly key: string; readonly body: Uint8Array };
}

/**
 * The stored form of `value`: a reference when its JSON text is over `thresholdBytes`, named by
 * `keyOf(sha256)` (content-addressed, so writing the same value twice writes the same object).
 * @example encodeValue({ big: '…' }, 65_536, (sha) => `t/r/outputs/${sha}.json`)
 */
export function encodeValue(
  value: unknown,
  thresholdBytes: number,
  keyOf: (sha256: string) => string,
): Encoded {
  if (value === undefined) return { stored: value };
  const text = JSON.stringify(value);
  const body = Buffer.from(text, 'utf8');
  if (body.byteLength <= thresholdBytes) return { stored: isMarked(value) ? { [LITERAL]: value } : value };
  const sha256 = createHash('sha256').update(body).digest('hex');
  const ref: PayloadRef = { key: keyOf(sha256), bytes: body.byteLength, sha256 };
  return { stored: { [REF]: ref }, object: { key: ref.key, body } };
}

/** The reference a stored value holds, if it is one. */
export function refOf(stored: unknown): PayloadRef | undefined {
  if (!soleKey(stored, REF)) return undefined;
  const ref = (stored as Record<string, unknown>)[REF] as Partial<PayloadRef> | null;
  if (
    typeof ref !== 'object' ||
    ref === null ||
    typeof ref.key !== 'string' ||
    typeof ref.bytes !== 'number' ||
    typeof ref.sha256 !== 'string'
  ) {
    throw new RunStoreError(
      `a stored payload reference is malformed: ${JSON.stringify(stored).slice(0, 300)}`,
    );
  }
  return ref as PayloadRef;
}

/** A stored value that needs no payload read: the value, or `undefined` for a reference (`unresolved`). */
export function decodeInline(stored: unknown): { value: unknown; unresolved?: PayloadRef } {
  const ref = refOf(stored);
  if (ref) return { value: undefined, unresolved: ref };
  if (soleKey(stored, LITERAL)) return { value: (stored as Record<string, unknown>)[LITERAL] };
  return { value: stored };
}

/**
 * The value a stored value stands for, reading the payload when it is a reference of `runId`.
 * Throws `RunStoreError` when the object is gone, belongs to another run or does not match its hash.
 */
export async function decodeValue(stored: unknown, runId: string, payloads: PayloadStore): Promise<unknown> {
  const { value, unresolved } = decodeInline(stored);
  if (!unresolved) return value;
  const { key, sha256 } = unresolved;
  if (key.split('/')[1] !== runId) {
    throw new RunStoreError(`payload ${key} is not of run ${runId}: refusing to read it`);
  }
  const body = await payloads.get(key);
  if (body === undefined) {
    throw new RunStoreError(
      `payload ${key} of run ${runId} is missing: it expired with the run's retention, or a local ` +
        'store that keeps payloads in memory (fauxqs) was restarted',
    );
  }
  const actual = createHash('sha256').update(body).digest('hex');
  if (actual !== sha256) throw new RunStoreError(`payload ${key} of run ${runId} does not match its sha256`);
  return JSON.parse(Buffer.from(body).toString('utf8'));
}

function isMarked(value: unknown): boolean {
  return soleKey(value, REF) || soleKey(value, LITERAL);
}

function soleKey(value: unknown, key: string): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && keys[0] === key;
}

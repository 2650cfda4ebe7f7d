import type { ErrorInfo } from '../ports/run-store.ts';

/** Bytes of UTF-8 an error message keeps on a node or run item; the rest is cut, and it says so. */
export const MAX_ERROR_MESSAGE_BYTES = 4_096;
/** Characters of an error code kept (codes are short identifiers; a long one is a mistake). */
export const MAX_ERROR_CODE_LENGTH = 100;
/** Bytes of a skip or cancel reason kept. */
export const MAX_REASON_BYTES = 1_024;

/**
 * Cuts `text` to at most `maxBytes` bytes of UTF-8 (never inside a character), marking the cut
 * with how long the whole was.
 * @example truncateBytes('x'.repeat(10_000), 100) // 'xxx…… (truncated: 10000 bytes in all)'
 */
export function truncateBytes(text: string, maxBytes: number): string {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes <= maxBytes) return text;
  const marker = `… (truncated: ${bytes} bytes in all)`;
  const keep = Math.max(0, maxBytes - Buffer.byteLength(marker, 'utf8'));
  let cut = Buffer.from(text, 'utf8').subarray(0, keep).toString('utf8');
  // A character split by the cut decodes to U+FFFD: drop it.
  if (cut.endsWith('\uFFFD')) cut = cut.slice(0, -1);
  return `${cut}${marker}`;
}

/** An error as it may be stored: a bounded code and message, whatever an executor returned. */
export function boundedError<T extends Pick<ErrorInfo, 'code' | 'message'>>(error: T): T {
  const code = String(error.code);
  return {
    ...error,
    code: code.length > MAX_ERROR_CODE_LENGTH ? `${code.slice(0, MAX_ERROR_CODE_LENGTH - 1)}…` : code,
    message: truncateBytes(String(error.message), MAX_ERROR_MESSAGE_BYTES),
  };
}

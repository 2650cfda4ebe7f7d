import { QueueSendError } from '../../ports/queue.ts';

/** Error names AWS services use for throttling and for their own passing failures. */
const TRANSIENT_NAMES = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'ProvisionedThroughputExceededException',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'TransactionInProgressException',
  'InternalServerError',
  'InternalFailure',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
]);

/** Node network error codes of a connection that failed or broke. */
const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN']);

interface SdkErrorShape {
  readonly name?: string;
  readonly code?: string;
  readonly $retryable?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: number };
  readonly cause?: unknown;
}

/**
 * True for an error of AWS (or the network to it) that says "try again soon": throttling, a
 * 5xx or 429, a broken connection, or the SDK's own `$retryable` mark; also a queue send that
 * some entries failed. False for everything else (a bug, a refused request, a missing table).
 * @example isTransientAwsError(new ProvisionedThroughputExceededException({...})) // true
 */
export function isTransientAwsError(error: unknown, depth = 0): boolean {
  if (typeof error !== 'object' || error === null || depth > 3) return false;
  if (error instanceof QueueSendError) return true;
  const shape = error as SdkErrorShape;
  if (shape.$retryable) return true;
  if (shape.name !== undefined && TRANSIENT_NAMES.has(shape.name)) return true;
  if (shape.code !== undefined && NETWORK_CODES.has(shape.code)) return true;
  const status = shape.$metadata?.httpStatusCode;
  if (status !== undefined && (status >= 500 || status === 429)) return true;
  return isTransientAwsError(shape.cause, depth + 1);
}

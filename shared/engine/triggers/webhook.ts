import { createHmac, timingSafeEqual } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { NotFoundError, SkeinError } from '../../domain/problems.ts';
import type { TriggerRecord } from '../../ports/trigger-store.ts';
import type { TriggerDeps } from './deps.ts';
import { type FireResult, fireDelivery } from './fire.ts';

/** Standard Webhooks' replay window: a `webhook-timestamp` further than this from now is refused. */
export const WEBHOOK_TOLERANCE_MS = 5 * 60_000;

/** Headers never handed to an `inputs` template. */
const HIDDEN_HEADERS = new Set(['authorization', 'cookie', 'x-api-key']);

/** One bad or missing signature: the same 401 whatever was wrong, so a caller learns nothing. */
const unauthorized = () => new SkeinError('UNAUTHORIZED', 'invalid signature', 'unauthenticated');

export interface HookRequest {
  readonly rawBody: string;
  /** Lower-case header names. */
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * Verifies a delivery to `POST /v1/hooks/{hookId}` and fires its trigger. Standard Webhooks
 * (`webhook-id`, `webhook-timestamp` within 5 minutes of the clock, `webhook-signature` v1), or
 * GitHub's `X-Hub-Signature-256` when the trigger allows it. The delivery id keys the run, so a
 * replayed delivery answers with the first run. Unknown hook: 404; bad signature: 401 without
 * detail; paused trigger: 409.
 */
export async function receiveHook(
  deps: TriggerDeps,
  hookId: string,
  request: HookRequest,
): Promise<FireResult> {
  const record = await deps.triggers.getByHook(hookId);
  if (!record?.webhook) throw new NotFoundError('no such hook');
  const deliveryId = verify(record, request, deps.clock.now());
  if (!record.enabled)
    throw new SkeinError('TRIGGER_PAUSED', `trigger "${record.triggerId}" is paused`, 'conflict');
  const result = await fireDelivery(deps, record, {
    id: deliveryId,
    body: parseBody(request.rawBody),
    headers: Object.fromEntries(
      Object.entries(request.headers).filter(([name]) => !HIDDEN_HEADERS.has(name)),
    ),
  });
  if (result.outcome === 'failed') {
    throw new SkeinError(
      'TRIGGER_FAILED',
      `the delivery could not start a run; see GET .../triggers/${record.triggerId} for the firing's error`,
      'unprocessable',
    );
  }
  return result;
}

/** The delivery id of a correctly signed request; throws the one 401 otherwise. */
export function verify(record: TriggerRecord, request: HookRequest, nowMs: number): string {
  const hook = record.webhook;
  if (!hook) throw unauthorized();
  const { headers } = request;
  const id = headers['webhook-id'];
  const timestamp = headers['webhook-timestamp'];
  const signatures = headers['webhook-signature'];
  if (id && timestamp && signatures) {
    if (!/^\d{1,12}$/.test(timestamp)) throw unauthorized();
    const seconds = Number(timestamp);
    if (Math.abs(nowMs - seconds * 1000) > WEBHOOK_TOLERANCE_MS) throw unauthorized();
    let expected: string;
    try {
      // The library signs; the clock check above replaces its own, which reads the wall clock.
      expected =
        new Webhook(hook.secret).sign(id, new Date(seconds * 1000), request.rawBody).split(',')[1] ?? '';
    } catch {
      throw unauthorized();
    }
    const ok = signatures.split(' ').some((entry) => {
      const [version, signature] = entry.split(',');
      return version === 'v1' && signature !== undefined && safeEqual(signature, expected);
    });
    if (!ok) throw unauthorized();
    return id;
  }
  const github = headers['x-hub-signature-256'];
  if (hook.github && github) {
    const expected = `sha256=${createHmac('sha256', hook.secret).update(request.rawBody).digest('hex')}`;
    if (!safeEqual(github, expected)) throw unauthorized();
    return headers['x-github-delivery'] || github.slice('sha256='.length);
  }
  throw unauthorized();
}

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

function parseBody(raw: string): unknown {
  if (raw.trim() === '') return null;
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

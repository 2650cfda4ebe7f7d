import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { subscriptionArnOf } from '../adapters/aws/sns-subscription-binder.ts';
import type { WebhookSender } from '../adapters/webhook-sender.ts';
import { DELIVERY_RETENTION_DAYS, type DeliveryAttempt, type Subscription } from '../domain/subscriptions.ts';
import type { Clock } from '../ports/clock.ts';
import type { Queue } from '../ports/queue.ts';
import type { SubscriptionStore } from '../ports/subscription-store.ts';

/** How long the deliverer keeps trying one event (from its publication). */
export const DELIVERY_WINDOW_MS = 24 * 60 * 60 * 1000;
/** The first retry's delay; each next one doubles, up to `MAX_BACKOFF_SECONDS`. */
export const FIRST_BACKOFF_SECONDS = 30;
export const MAX_BACKOFF_SECONDS = 4 * 60 * 60;

export interface DelivererDeps {
  readonly subscriptions: SubscriptionStore;
  readonly send: WebhookSender;
  /** The deliverer's queue: a failed message is hidden for its backoff (ChangeMessageVisibility). */
  readonly queue: Pick<Queue, 'changeVisibility'>;
  readonly clock: Clock;
  readonly log?: (message: string, details: unknown) => void;
}

/**
 * The delay before attempt `attempt + 1`: 30 s, 1 min, 2 min, ... up to 4 h.
 * @example backoffSeconds(1) // 30
 */
export function backoffSeconds(attempt: number): number {
  return Math.min(FIRST_BACKOFF_SECONDS * 2 ** Math.max(0, attempt - 1), MAX_BACKOFF_SECONDS);
}

/**
 * The webhook deliverer (SNS → SQS → this handler). Each message is one event for one https
 * subscription: the SNS envelope of the subscription's SNS subscription (its filter policy, tenant
 * pinned, already chose the event), found by the envelope's `UnsubscribeURL`. The event is POSTed,
 * signed with the subscription's secret, as `{type, timestamp, data}`; every attempt is recorded
 * (`GET .../subscriptions/{id}/deliveries`). A failed attempt hides the message for its backoff
 * and reports it in `batchItemFailures`, so SQS delivers it again then; an event that cannot be
 * delivered within 24 h of its publication, or whose URL the SSRF guard refuses, is parked: its
 * last attempt is recorded `parked` with the payload, and the message is deleted. Messages of a
 * deleted subscription are dropped.
 * @example export const handler = createDelivererHandler({ subscriptions, send: webhookSender(), queue, clock: systemClock });
 */
export function createDelivererHandler(deps: DelivererDeps) {
  const log = deps.log ?? ((message: string, details: unknown) => console.error(message, details));
  return async (event: SQSEvent): Promise<SQSBatchResponse> => {
    const lists = new Map<string, Promise<Subscription[]>>();
    const subscriptionsOf = (tenant: string) => {
      let list = lists.get(tenant);
      if (list === undefined) {
        list = deps.subscriptions.list(tenant);
        lists.set(tenant, list);
      }
      return list;
    };
    const outcomes = await Promise.all(
      event.Records.map(async (record) => {
        try {
          return await deliver(deps, record, subscriptionsOf, log);
        } catch (error) {
          log('skein deliverer: a delivery failed before it could be recorded', {
            id: record.messageId,
            error,
          });
          return false;
        }
      }),
    );
    return {
      batchItemFailures: event.Records.filter((_, index) => !outcomes[index]).map((record) => ({
        itemIdentifier: record.messageId,
      })),
    };
  };
}

/** Whether the message is done with (delivered, parked or dropped). */
async function deliver(
  deps: DelivererDeps,
  record: SQSRecord,
  subscriptionsOf: (tenant: string) => Promise<Subscription[]>,
  log: (message: string, details: unknown) => void,
): Promise<boolean> {
  const envelope = parse(record.body);
  const message = typeof envelope?.Message === 'string' ? envelope.Message : undefined;
  const data = message === undefined ? undefined : parse(message);
  const arn = envelope && subscriptionArnOf(envelope);
  const tenant = typeof data?.tenant === 'string' ? data.tenant : undefined;
  if (message === undefined || data === undefined || arn === undefined || tenant === undefined) {
    log('skein deliverer: dropped a message that is not an SNS envelope of a Skein event', {
      id: record.messageId,
    });
    return true;
  }
  const subscription = (await subscriptionsOf(tenant)).find((each) => each.bindingArn === arn);
  if (subscription?.endpoint.kind !== 'https' || subscription.secret === undefined) return true;
  const now = deps.clock.now();
  const messageId = typeof envelope?.MessageId === 'string' ? envelope.MessageId : record.messageId;
  const payload = JSON.stringify({ type: data.type, timestamp: data.time, data });
  const attempt = Number(record.attributes.ApproximateReceiveCount) || 1;
  const outcome = await deps.send({
    url: subscription.endpoint.url,
    secret: subscription.secret,
    messageId,
    timestamp: now,
    payload,
  });
  const base = {
    tenant,
    subscriptionId: subscription.id,
    messageId,
    attempt,
    at: new Date(now).toISOString(),
    ...(typeof data.type === 'string' && { eventType: data.type }),
    ...(typeof data.runId === 'string' && { runId: data.runId }),
    ...(outcome.status !== undefined && { httpStatus: outcome.status }),
  };
  const expiresAt = Math.floor(now / 1000) + DELIVERY_RETENTION_DAYS * 86_400;
  if (outcome.ok) {
    await deps.subscriptions.recordDelivery({ ...base, status: 'delivered' }, expiresAt);
    return true;
  }
  const published = Date.parse(typeof envelope?.Timestamp === 'string' ? envelope.Timestamp : '');
  const delay = backoffSeconds(attempt);
  const age = Number.isNaN(published) ? 0 : now - published;
  if (outcome.permanent || age + delay * 1000 > DELIVERY_WINDOW_MS) {
    const parked: DeliveryAttempt = { ...base, status: 'parked', error: outcome.error, payload };
    await deps.subscriptions.recordDelivery(parked, expiresAt);
    return true;
  }
  const nextAttemptAt = new Date(now + delay * 1000).toISOString();
  await deps.subscriptions.recordDelivery(
    { ...base, status: 'failed', error: outcome.error, nextAttemptAt },
    expiresAt,
  );
  await deps.queue.changeVisibility(record.receiptHandle, delay);
  return false;
}

function parse(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

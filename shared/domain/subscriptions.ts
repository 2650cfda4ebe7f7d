/**
 * Subscriptions to a tenant's run events (issue 11 item 6): where events go (an e-mail address,
 * an SQS queue, or an https endpoint the webhook deliverer calls) and which ones (a filter on
 * workflow, event type, severity and trigger). Pure: the SNS filter policy of a subscription is
 * computed here, and the same rules in code (`matchesFilter`) for the local console and the SSE
 * stream, so both agree on what a filter means.
 */
import type { Severity, SkeinEvent, SkeinEventType } from '../ports/notifier.ts';

export type SubscriptionEndpoint =
  | { readonly kind: 'email'; readonly address: string }
  | { readonly kind: 'https'; readonly url: string }
  | { readonly kind: 'sqs'; readonly queueArn: string };

export type EndpointKind = SubscriptionEndpoint['kind'];

/** Each list, when present and not empty, must contain the event's value (AND across fields). */
export interface SubscriptionFilter {
  readonly workflows?: readonly string[];
  readonly types?: readonly SkeinEventType[];
  readonly severities?: readonly Severity[];
  readonly triggers?: readonly string[];
}

export interface Subscription {
  readonly tenant: string;
  readonly id: string;
  readonly endpoint: SubscriptionEndpoint;
  readonly filter: SubscriptionFilter;
  /**
   * `https` only: the Standard Webhooks signing secret (`whsec_<base64>`), shown once by the
   * API when the subscription is created, kept through replacements.
   */
  readonly secret?: string;
  /** The SNS subscription's ARN (or `pending confirmation` for an unconfirmed e-mail). */
  readonly bindingArn?: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export type DeliveryStatus = 'delivered' | 'failed' | 'parked';

/** One attempt of the webhook deliverer to deliver one event to one https subscription. */
export interface DeliveryAttempt {
  readonly tenant: string;
  readonly subscriptionId: string;
  /** The event's message id (the `webhook-id` header; the same for every attempt of an event). */
  readonly messageId: string;
  readonly attempt: number;
  /** ISO time of the attempt. */
  readonly at: string;
  readonly status: DeliveryStatus;
  readonly eventType?: string;
  readonly runId?: string;
  /** The endpoint's HTTP status, when it answered. */
  readonly httpStatus?: number;
  readonly error?: string;
  /** `failed`: when the next attempt is due (ISO). */
  readonly nextAttemptAt?: string;
  /** `parked`: the event's JSON, so it can be replayed by hand. */
  readonly payload?: string;
}

/** Subscriptions per tenant at most: the deliverer reads a tenant's list in one page. */
export const MAX_SUBSCRIPTIONS_PER_TENANT = 100;
/** SNS allows at most 150 combinations of values in one filter policy. */
export const MAX_FILTER_COMBINATIONS = 150;
/** How long delivery attempts are kept (the items' TTL). */
export const DELIVERY_RETENTION_DAYS = 7;

/** An SNS filter policy on message attributes (`SnsNotifier` sets them). */
export type FilterPolicy = Readonly<Record<string, readonly string[]>>;

/**
 * The filter policy of a subscription: always pins the tenant, so a subscriber never sees
 * another tenant's events, whatever its filter says.
 * @example filterPolicyOf('acme', { severities: ['error'] }) // { tenant: ['acme'], severity: ['error'] }
 */
export function filterPolicyOf(tenant: string, filter: SubscriptionFilter): FilterPolicy {
  const policy: Record<string, readonly string[]> = { tenant: [tenant] };
  const fields = [
    ['workflow', filter.workflows],
    ['type', filter.types],
    ['severity', filter.severities],
    ['trigger', filter.triggers],
  ] as const;
  for (const [attribute, values] of fields) {
    if (values !== undefined && values.length > 0) policy[attribute] = [...new Set(values)];
  }
  return policy;
}

/**
 * The number of value combinations SNS counts for a policy (the product of the lists' sizes).
 * @example filterCombinations({ tenant: ['a'], type: ['run.failed', 'node.failed'] }) // 2
 */
export function filterCombinations(policy: FilterPolicy): number {
  return Object.values(policy).reduce((product, values) => product * values.length, 1);
}

/**
 * Whether an event of `tenant` passes a subscription's filter, as its SNS filter policy decides.
 * @example matchesFilter({ type: 'run.failed', severity: 'error', tenant: 'acme', ... }, 'acme', { severities: ['error'] }) // true
 */
export function matchesFilter(event: SkeinEvent, tenant: string, filter: SubscriptionFilter): boolean {
  const policy = filterPolicyOf(tenant, filter);
  const values: Record<string, unknown> = {
    tenant: event.tenant,
    workflow: event.workflow,
    type: event.type,
    severity: event.severity,
    trigger: (event as { trigger?: unknown }).trigger,
  };
  return Object.entries(policy).every(([attribute, allowed]) => {
    const value = values[attribute];
    return typeof value === 'string' && allowed.includes(value);
  });
}

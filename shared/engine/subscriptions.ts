/**
 * Subscription use cases (issue 11 item 6): create or replace, read, list, delete, and the
 * deliverer's log. The store keeps what the API shows; the binder makes it real (an SNS
 * subscription pinned to the tenant). Writes go binder first, store second, so a listed
 * subscription always has its binding; a failure in between leaves at most an orphan SNS
 * subscription of the same tenant, which the next PUT of the id replaces.
 */
import { SkeinError } from '../domain/problems.ts';
import {
  type DeliveryAttempt,
  filterCombinations,
  filterPolicyOf,
  MAX_FILTER_COMBINATIONS,
  MAX_SUBSCRIPTIONS_PER_TENANT,
  type Subscription,
  type SubscriptionEndpoint,
  type SubscriptionFilter,
} from '../domain/subscriptions.ts';
import type { Clock } from '../ports/clock.ts';
import type { Ids } from '../ports/ids.ts';
import type { Page, PageRequest } from '../ports/page.ts';
import type { SubscriptionBinder } from '../ports/subscription-binder.ts';
import type { SubscriptionStore } from '../ports/subscription-store.ts';

export interface SubscriptionDeps {
  readonly subscriptions: SubscriptionStore;
  readonly binder: SubscriptionBinder;
  readonly clock: Clock;
  readonly ids: Ids;
  /** Accept `http://` webhook URLs (local mode, where test servers have no certificate). @default false */
  readonly allowPlainHttp?: boolean;
}

export interface SubscriptionRequest {
  readonly endpoint: SubscriptionEndpoint;
  readonly filter: SubscriptionFilter;
}

export interface PutResult {
  readonly subscription: Subscription;
  readonly created: boolean;
}

/**
 * Creates the subscription `id` of `tenant`, or replaces its endpoint and filter. A new https
 * subscription gets a signing secret (`whsec_...`), kept while the endpoint stays https.
 * @example const { subscription, created } = await putSubscription(deps, 'acme', 'alerts', { endpoint, filter });
 */
export async function putSubscription(
  deps: SubscriptionDeps,
  tenant: string,
  id: string,
  request: SubscriptionRequest,
): Promise<PutResult> {
  checkEndpoint(request.endpoint, deps.allowPlainHttp ?? false);
  const combinations = filterCombinations(filterPolicyOf(tenant, request.filter));
  if (combinations > MAX_FILTER_COMBINATIONS) {
    throw new SkeinError(
      'FILTER_TOO_BROAD',
      `the filter has ${combinations} combinations of values (the product of its lists' lengths); SNS allows ${MAX_FILTER_COMBINATIONS}: shorten a list or split the subscription`,
      'invalid',
      '$.filter',
    );
  }
  const old = await deps.subscriptions.get(tenant, id);
  if (old === undefined && (await deps.subscriptions.list(tenant)).length >= MAX_SUBSCRIPTIONS_PER_TENANT) {
    throw new SkeinError(
      'TOO_MANY_SUBSCRIPTIONS',
      `the tenant has ${MAX_SUBSCRIPTIONS_PER_TENANT} subscriptions; delete one first`,
      'conflict',
    );
  }
  const now = new Date(deps.clock.now()).toISOString();
  const keepSecret = old?.secret !== undefined && request.endpoint.kind === 'https';
  const secret =
    request.endpoint.kind !== 'https' ? undefined : keepSecret ? old?.secret : newSecret(deps.ids);
  const next: Subscription = {
    tenant,
    id,
    endpoint: request.endpoint,
    filter: request.filter,
    createdAt: old?.createdAt ?? now,
    updatedAt: now,
    ...(secret !== undefined && { secret }),
  };
  const sameEndpoint = old !== undefined && JSON.stringify(old.endpoint) === JSON.stringify(request.endpoint);
  if (sameEndpoint && old.bindingArn !== undefined) {
    await deps.binder.refilter(old.bindingArn, next);
    const kept = { ...next, bindingArn: old.bindingArn };
    await deps.subscriptions.put(kept);
    return { subscription: kept, created: false };
  }
  const bound = { ...next, bindingArn: await deps.binder.bind(next) };
  try {
    await deps.subscriptions.put(bound);
  } catch (error) {
    await deps.binder.unbind(bound.bindingArn).catch(() => {});
    throw error;
  }
  if (old?.bindingArn !== undefined) await deps.binder.unbind(old.bindingArn);
  return { subscription: bound, created: old === undefined };
}

/** The tenant's subscription, or a 404. */
export async function getSubscription(
  deps: Pick<SubscriptionDeps, 'subscriptions'>,
  tenant: string,
  id: string,
) {
  const found = await deps.subscriptions.get(tenant, id);
  if (found === undefined) throw notFound(id);
  return found;
}

/** Deletes the subscription and its SNS subscription; a 404 when the tenant has none by that id. */
export async function deleteSubscription(deps: SubscriptionDeps, tenant: string, id: string): Promise<void> {
  const found = await getSubscription(deps, tenant, id);
  if (!(await deps.subscriptions.remove(tenant, id))) throw notFound(id);
  if (found.bindingArn !== undefined) await deps.binder.unbind(found.bindingArn);
}

/** A subscription's delivery attempts, newest first (a 404 for an unknown subscription). */
export async function listDeliveries(
  deps: Pick<SubscriptionDeps, 'subscriptions'>,
  tenant: string,
  id: string,
  page: PageRequest,
): Promise<Page<DeliveryAttempt>> {
  await getSubscription(deps, tenant, id);
  return deps.subscriptions.listDeliveries(tenant, id, page);
}

/** A Standard Webhooks secret: `whsec_` and base64 of 24 random bytes' worth of text. */
function newSecret(ids: Ids): string {
  return `whsec_${Buffer.from(ids.secret(24), 'utf8').toString('base64')}`;
}

function checkEndpoint(endpoint: SubscriptionEndpoint, allowPlainHttp: boolean): void {
  if (endpoint.kind !== 'https') return;
  let url: URL | undefined;
  try {
    url = new URL(endpoint.url);
  } catch {
    url = undefined;
  }
  const schemes = allowPlainHttp ? ['https:', 'http:'] : ['https:'];
  if (url === undefined || !schemes.includes(url.protocol) || url.username !== '' || url.password !== '') {
    throw new SkeinError(
      'SCHEMA',
      `endpoint.url must be an absolute ${allowPlainHttp ? 'http(s)' : 'https'} URL without credentials, got ${JSON.stringify(endpoint.url)}`,
      'invalid',
      '$.endpoint.url',
    );
  }
}

const notFound = (id: string) =>
  new SkeinError('NOT_FOUND', `no subscription "${id}" for this tenant; PUT it first`, 'not_found');

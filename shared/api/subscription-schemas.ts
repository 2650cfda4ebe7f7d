import { z } from 'zod';
import { MAX_FILTER_COMBINATIONS } from '../domain/subscriptions.ts';
import { SKEIN_EVENT_TYPES } from '../ports/notifier.ts';

/** Request and response schemas of the subscription routes; `/openapi.json` is generated from these. */

const name = z.string().min(1).max(128);
const list = <T extends z.ZodType>(item: T) => z.array(item).min(1).max(50).optional();

export const endpointSchema = z
  .discriminatedUnion('kind', [
    z.strictObject({
      kind: z.literal('email'),
      address: z.email({ error: 'address must be an e-mail address' }).max(254),
    }),
    z.strictObject({
      kind: z.literal('https'),
      url: z
        .string()
        .max(2048)
        .meta({ description: 'Called with POST for each event, signed (Standard Webhooks).' }),
    }),
    z.strictObject({
      kind: z.literal('sqs'),
      queueArn: z
        .string()
        .regex(/^arn:aws[a-z-]*:sqs:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,80}(\.fifo)?$/, {
          error: 'queueArn must be an SQS queue ARN (arn:aws:sqs:<region>:<account>:<name>)',
        })
        .meta({ description: 'Its queue policy must let the events topic send to it.' }),
    }),
  ])
  .meta({ id: 'SubscriptionEndpoint' });

export const filterSchema = z
  .strictObject({
    workflows: list(name),
    types: list(z.enum(SKEIN_EVENT_TYPES)),
    severities: list(z.enum(['info', 'warning', 'error', 'critical'])),
    triggers: list(name),
  })
  .meta({
    id: 'SubscriptionFilter',
    description: `Every list given must contain the event's value. At most ${MAX_FILTER_COMBINATIONS} combinations (the product of the lists' lengths).`,
  });

export const putSubscriptionBodySchema = z
  .strictObject({ endpoint: endpointSchema, filter: filterSchema.optional() })
  .meta({ id: 'PutSubscription' });

export const subscriptionSchema = z
  .object({
    id: z.string(),
    endpoint: endpointSchema,
    filter: filterSchema,
    secret: z.string().optional().meta({
      description: 'https endpoints, in the answer that creates the subscription only: the signing secret.',
    }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Subscription' });

export const subscriptionListSchema = z.object({ items: z.array(subscriptionSchema) });

export const deliverySchema = z
  .object({
    messageId: z.string(),
    attempt: z.number().int(),
    at: z.string(),
    status: z.enum(['delivered', 'failed', 'parked']),
    eventType: z.string().optional(),
    runId: z.string().optional(),
    httpStatus: z.number().int().optional(),
    error: z.string().optional(),
    nextAttemptAt: z.string().optional(),
    payload: z.string().optional().meta({ description: 'parked: the body that could not be delivered.' }),
  })
  .meta({ id: 'DeliveryAttempt' });

export const deliveryPageSchema = z.object({ items: z.array(deliverySchema), cursor: z.string().optional() });

export const SUBSCRIPTION_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
export const subscriptionIdParam = z.string().meta({
  param: { name: 'id', in: 'path' },
  example: 'failures-to-pager',
  description: `Matches ${SUBSCRIPTION_ID}.`,
});

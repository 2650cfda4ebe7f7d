import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { EventBridgeEvent, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { z } from 'zod';
import { START_RUN_EVENT } from '../config.ts';
import { cronFiringSchema, fanOutSeconds } from '../domain/cron-fan-out.ts';
import { SkeinError } from '../domain/problems.ts';
import type { RunEngine } from '../engine/run-engine.ts';
import type { BusEnvelope } from '../engine/triggers/events.ts';
import { type Clock, systemClock } from '../ports/clock.ts';
import type { Queue } from '../ports/queue.ts';

/** The detail-type the trigger function starts runs for (the EventBridge rule matches it). */
export const START_RUN_DETAIL_TYPE = START_RUN_EVENT.detailType;

const detailSchema = z
  .object({
    tenant: z.string().min(1),
    workflow: z.string().min(1),
    version: z.string().min(1).optional(),
    inputs: z.unknown().optional(),
    idempotencyKey: z.string().min(1).optional(),
  })
  .strict();

/** An event from Skein's bus, as the bus's forwarding rule puts it on the trigger queue. */
const busEventSchema = z
  .object({
    kind: z.literal('event'),
    event: z.looseObject({ id: z.string().min(1), source: z.string().min(1), 'detail-type': z.string() }),
  })
  .strict();

/** What became of one trigger-queue message. */
export type TriggerResult =
  | { readonly started: true; readonly runId: string; readonly created: boolean }
  | { readonly fired: number }
  | { readonly matched: true }
  | { readonly started: false; readonly reason: string };

export interface TriggerDeps {
  readonly engine: RunEngine;
  readonly log?: (message: string, details: unknown) => void;
  /** The trigger queue: a sub-minute cron firing is fanned out onto it. Without it such firings are dropped. */
  readonly queue?: Pick<Queue, 'send'>;
  /** Fires a cron trigger (the triggers use case); until wired, firings are logged and dropped. */
  readonly fire?: (tenant: string, triggerId: string, scheduledAt: string) => Promise<unknown>;
  /** Starts the runs of the event triggers an event from Skein's bus matches; until wired, logged and dropped. */
  readonly matchEvents?: (event: BusEnvelope) => Promise<unknown>;
  /** Delays of the fan-out count from now. @default the system clock */
  readonly clock?: Clock;
}

/**
 * Handles one message of the trigger queue (its body and id), which is one of:
 * - an EventBridge event of detail-type `skein.start-run` (the default bus's start-run rule):
 *   `detail` is `{tenant, workflow, version?, inputs?, idempotencyKey?}`; without
 *   `idempotencyKey` the event id is the key (`eb-<id>`), so a redelivered event starts one run;
 * - a cron firing `{kind: 'cron', tenant, triggerId, scheduledAt, seconds?}` from EventBridge
 *   Scheduler: with `seconds` (a six-field trigger) it is fanned out into one delayed firing per
 *   second on the queue, else `fire` runs it;
 * - `{kind: 'event', event}`: an event from Skein's bus, for `matchEvents` (the run's tenant
 *   comes from the trigger that matches, never from the event).
 * A message that can never succeed (bad JSON or shape, a refusal of the engine: any `SkeinError`)
 * is logged and dropped; an infrastructure error is thrown so the message is delivered again,
 * and after the queue's receive limit it moves to the dead-letter queue.
 * @example const result = await handleTriggerMessage(deps, record.body, record.messageId);
 */
export async function handleTriggerMessage(
  deps: TriggerDeps,
  body: string,
  messageId: string,
): Promise<TriggerResult> {
  const log = deps.log ?? ((message: string, details: unknown) => console.error(message, details));
  const drop = (reason: string, details: unknown = {}): TriggerResult => {
    log(`skein trigger: dropped message ${messageId}: ${reason}`, details);
    return { started: false, reason };
  };
  let message: unknown;
  try {
    message = JSON.parse(body);
  } catch {
    return drop('the body is not JSON');
  }
  const kind = (message as { kind?: unknown } | null)?.kind;
  try {
    if (kind === 'cron') {
      const parsed = cronFiringSchema.safeParse(message);
      if (!parsed.success)
        return drop(
          `a cron firing is {kind, tenant, triggerId, scheduledAt, seconds?}: ${issues(parsed.error)}`,
        );
      const { tenant, triggerId, scheduledAt } = parsed.data;
      if (parsed.data.seconds !== undefined) {
        if (!deps.queue)
          return drop('a sub-minute firing needs the trigger queue, which is not wired', {
            tenant,
            triggerId,
          });
        const fired = fanOutSeconds(parsed.data, (deps.clock ?? systemClock).now());
        await deps.queue.send(
          fired.map(({ firing, delaySeconds }) => ({ body: JSON.stringify(firing), delaySeconds })),
        );
        return { fired: fired.length };
      }
      if (!deps.fire)
        return drop('cron triggers are not wired to this function yet', { tenant, triggerId, scheduledAt });
      await deps.fire(tenant, triggerId, scheduledAt);
      return { fired: 1 };
    }
    if (kind === 'event') {
      const parsed = busEventSchema.safeParse(message);
      if (!parsed.success) return drop(`a bus event is {kind, event}: ${issues(parsed.error)}`);
      const event: BusEnvelope = parsed.data.event;
      if (!deps.matchEvents)
        return drop('event triggers are not wired to this function yet', { id: event.id });
      await deps.matchEvents(event);
      return { matched: true };
    }
    return await startRun(deps, message as EventBridgeEvent<string, unknown>, drop);
  } catch (error) {
    if (error instanceof SkeinError) return drop(`refused: ${error.code}: ${error.message}`);
    throw error;
  }
}

async function startRun(
  deps: TriggerDeps,
  event: EventBridgeEvent<string, unknown>,
  drop: (reason: string, details?: unknown) => TriggerResult,
): Promise<TriggerResult> {
  if (event?.['detail-type'] !== START_RUN_DETAIL_TYPE) {
    return drop(`detail-type "${event?.['detail-type']}" is not "${START_RUN_DETAIL_TYPE}"`);
  }
  const parsed = detailSchema.safeParse(event.detail);
  if (!parsed.success) {
    return drop(
      `a ${START_RUN_DETAIL_TYPE} detail is {tenant, workflow, version?, inputs?, idempotencyKey?}; ${issues(parsed.error, 'detail.')}`,
    );
  }
  const { idempotencyKey, ...request } = parsed.data;
  try {
    const { run, created } = await deps.engine.startRun({
      ...request,
      idempotencyKey: idempotencyKey ?? `eb-${event.id}`,
    });
    return { started: true, runId: run.runId, created };
  } catch (error) {
    if (error instanceof SkeinError) {
      return drop(`the run was refused: ${error.code}: ${error.message}`, {
        tenant: request.tenant,
        workflow: request.workflow,
      });
    }
    throw error;
  }
}

const issues = (error: z.ZodError, prefix = ''): string =>
  error.issues.map((issue) => `${prefix}${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');

/**
 * The trigger function's handler: batches of the trigger queue, each record handled by
 * {@link handleTriggerMessage} through Powertools' batch utility; records whose handling threw
 * (infrastructure errors) come back in `batchItemFailures` and are delivered again.
 * Anyone allowed to put `skein.start-run` events on the default bus can start runs of any tenant:
 * keep PutEvents on it to trusted principals (`event` nodes put on Skein's own bus, and cannot put
 * `skein.*` detail-types).
 * @example export const handler = createTriggerHandler({ engine, queue, log });
 */
export function createTriggerHandler(deps: TriggerDeps) {
  return async (event: SQSEvent): Promise<SQSBatchResponse> => {
    const processor = new BatchProcessor(EventType.SQS);
    const handleRecord = async (record: SQSRecord) => {
      await handleTriggerMessage(deps, record.body, record.messageId);
    };
    const response = await processPartialResponse(event, handleRecord, processor, {
      throwOnFullBatchFailure: false,
    });
    for (const error of processor.errors) {
      deps.log?.('skein trigger: a message failed and will be delivered again', { error: String(error) });
    }
    return response;
  };
}

import type { EventBridgeEvent } from 'aws-lambda';
import { z } from 'zod';
import { START_RUN_EVENT } from '../config.ts';
import { SkeinError } from '../domain/problems.ts';
import type { RunEngine } from '../engine/run-engine.ts';

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

/** The `detail` of a `skein.start-run` event. */

export type TriggerResult =
  | { readonly started: true; readonly runId: string; readonly created: boolean }
  | { readonly started: false; readonly reason: string };

export interface TriggerDeps {
  readonly engine: RunEngine;
  readonly log?: (message: string, details: unknown) => void;
}

/**
 * The trigger function's handler, for EventBridge rules (event patterns and schedules) whose
 * target sends an event of detail-type `skein.start-run` (the CDK rule matches source `skein`;
 * the handler itself does not check the source):
 * ```json
 * { "detail-type": "skein.start-run", "source": "skein",
 *   "detail": { "tenant": "acme", "workflow": "orders", "version": "^1.2.0",
 *               "inputs": { "id": 7 }, "idempotencyKey": "order-7" } }
 * ```
 * `version` (exact or a range; the latest when absent), `inputs` and `idempotencyKey` are
 * optional. Without `idempotencyKey` the event's id is used (`eb-<id>`), so a redelivered event
 * starts one run. A bad detail, another detail-type, or a start the engine refuses (unknown
 * workflow, invalid inputs: any 4xx) is logged and dropped, since retrying cannot help; an
 * infrastructure error (store or queue) is thrown, and EventBridge retries the delivery.
 * Anyone allowed to put `skein.start-run` events on the bus can start runs of any tenant: keep
 * PutEvents on it to trusted principals (`event` nodes cannot put `skein.*` detail-types).
 * @example export const handler = createTriggerHandler({ engine });
 */
export function createTriggerHandler(deps: TriggerDeps) {
  const log = deps.log ?? ((message: string, details: unknown) => console.error(message, details));
  return async (event: EventBridgeEvent<string, unknown>): Promise<TriggerResult> => {
    const drop = (reason: string, details: unknown = {}): TriggerResult => {
      log(`skein trigger: dropped event ${event.id}: ${reason}`, details);
      return { started: false, reason };
    };
    if (event['detail-type'] !== START_RUN_DETAIL_TYPE) {
      return drop(`detail-type "${event['detail-type']}" is not "${START_RUN_DETAIL_TYPE}"`);
    }
    const parsed = detailSchema.safeParse(event.detail);
    if (!parsed.success) {
      const issues = parsed.error.issues.map(
        (issue) => `detail.${issue.path.join('.') || '(root)'}: ${issue.message}`,
      );
      return drop(
        `a ${START_RUN_DETAIL_TYPE} detail is {tenant, workflow, version?, inputs?, idempotencyKey?}; ${issues.join('; ')}`,
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
      if (error instanceof SkeinError && error.status < 500) {
        return drop(`the run was refused: ${error.code}: ${error.message}`, {
          tenant: request.tenant,
          workflow: request.workflow,
        });
      }
      throw error;
    }
  };
}

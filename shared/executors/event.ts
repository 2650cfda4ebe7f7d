import { z } from 'zod';
import type { NodeDefinition } from '../domain/definition-schema.ts';
import { EventPublishError, type EventPublisher } from '../ports/event-publisher.ts';
import {
  type ExecutionRequest,
  type ExecutionResult,
  type Executor,
  failure,
  messageOf,
  succeeded,
} from '../ports/executor.ts';

export type EventNode = Extract<NodeDefinition, { type: 'event' }>;

export interface EventExecutorOptions {
  /** The deployment's event bus (EventBridge on AWS). */
  readonly publisher: EventPublisher;
}

/** The source when `with.source` is absent. */
export const DEFAULT_EVENT_SOURCE = 'skein.workflow';
/** EventBridge's limit on one PutEvents entry, kept with a margin for the envelope. */
const MAX_DETAIL_BYTES = 250_000;
/** Error codes of a rejected entry that a later attempt may get through. */
const TRANSIENT = new Set([
  'ThrottlingException',
  'InternalException',
  'InternalFailure',
  'ServiceUnavailable',
]);

const withSchema = z
  .object({
    detailType: z
      .string()
      .min(1)
      .max(128)
      .refine((type) => !type.toLowerCase().startsWith('skein.'), {
        message: 'detail types starting with "skein." are reserved for Skein (e.g. skein.start-run)',
      }),
    detail: z.record(z.string(), z.unknown()).default({}),
    source: z
      .string()
      .min(1)
      .max(256)
      .refine((source) => !source.toLowerCase().startsWith('aws.'), {
        message: 'sources starting with "aws." are reserved for AWS services',
      })
      .default(DEFAULT_EVENT_SOURCE),
  })
  .strict();

/**
 * Runs `event` nodes: puts one event on the deployment's event bus. `with`: `detailType`
 * (required; `skein.*` is reserved, so a workflow cannot start runs through the trigger's
 * `skein.start-run`), `detail` (a JSON object, `{}` by default) and `source` (default
 * `skein.workflow`; `aws.*` is reserved). Output: `{ eventId }`. At least once: a retried
 * attempt puts the event again.
 * @example
 * await new EventExecutor({ publisher }).execute({ node, inputs: { detailType: 'order.shipped', detail: { id: 7 } }, ctx });
 * // { kind: 'succeeded', output: { eventId: '...' } }
 */
export class EventExecutor implements Executor<EventNode> {
  readonly type = 'event';

  constructor(private readonly options: EventExecutorOptions) {}

  async execute({ inputs, ctx }: ExecutionRequest<EventNode>): Promise<ExecutionResult> {
    const parsed = withSchema.safeParse(inputs ?? {});
    if (!parsed.success) {
      const issues = parsed.error.issues.map((issue) => `with.${issue.path.join('.')}: ${issue.message}`);
      return failure('EVENT_INVALID', `node "${ctx.nodeId}": ${issues.join('; ')}`);
    }
    const { detailType, detail, source } = parsed.data;
    const bytes = Buffer.byteLength(JSON.stringify(detail), 'utf8');
    if (bytes > MAX_DETAIL_BYTES) {
      return failure(
        'EVENT_TOO_LARGE',
        `node "${ctx.nodeId}": with.detail is ${bytes} bytes of JSON; an event holds at most ${MAX_DETAIL_BYTES}`,
      );
    }
    try {
      const [eventId] = await this.options.publisher.publish([{ source, detailType, detail }]);
      return succeeded({ eventId });
    } catch (error) {
      if (error instanceof EventPublishError) {
        const code = error.failed[0]?.code ?? 'Unknown';
        return failure('EVENT_REJECTED', `node "${ctx.nodeId}": ${error.message}`, TRANSIENT.has(code));
      }
      return failure('EVENT_PUBLISH_FAILED', `node "${ctx.nodeId}": ${messageOf(error)}`, true);
    }
  }
}

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

/**
 * Every event a node puts has this source and the run's tenant: `skein.tenant.<tenant>`, then
 * `.<with.source>` when given. A node cannot put an event that names another tenant, so an event
 * trigger can tell whose workflow sent it (tenant ids have no dots).
 * @example eventSource('acme') // 'skein.tenant.acme'; eventSource('acme', 'orders') // 'skein.tenant.acme.orders'
 */
export const eventSource = (tenant: string, source?: string): string =>
  source === undefined ? `skein.tenant.${tenant}` : `skein.tenant.${tenant}.${source}`;
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
    // Appended to `skein.tenant.<tenant>.`: within EventBridge's 256 characters with any tenant id.
    source: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, {
        message: 'a source suffix is 1-128 letters, digits, ".", "_" or "-", starting with a letter or digit',
      })
      .optional(),
  })
  .strict();

/**
 * Runs `event` nodes: puts one event on the deployment's event bus (Skein's own bus on AWS).
 * `with`: `detailType` (required; `skein.*` is reserved, so a workflow cannot start runs through
 * the trigger's `skein.start-run`), `detail` (a JSON object, `{}` by default) and `source` (an
 * optional suffix: the event's source is always {@link eventSource} of the run's tenant).
 * Output: `{ eventId }`. At least once: a retried attempt puts the event again.
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
    const { detailType, detail } = parsed.data;
    const source = eventSource(ctx.tenant, parsed.data.source);
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

/**
 * Notifier on one SNS topic: PublishBatch requests of at most 10 events, sent in parallel. Each
 * message is the event as JSON, with a short subject (e-mail subscriptions show it) and the
 * String message attributes `tenant`, `workflow`, `type` and `severity`, so subscriptions filter
 * with a filter policy such as `{"tenant": ["acme"], "severity": ["error", "critical"]}`. An
 * attribute whose value the event lacks is left out (SNS refuses empty values). Entry ids are the
 * event's index in the `publish` call (`e0`, `e1`, ...), so a `NotifyError` names exactly which
 * events failed; the others were published.
 */
import {
  type BatchResultErrorEntry,
  type MessageAttributeValue,
  PublishBatchCommand,
  type PublishBatchRequestEntry,
  type SNSClient,
} from '@aws-sdk/client-sns';
import { type Notifier, NotifyError, type SkeinEvent } from '../../ports/notifier.ts';

export interface SnsNotifierProps {
  readonly client: SNSClient;
  readonly topicArn: string;
}

/** SNS PublishBatch maximum entries. */
export const SNS_MAX_BATCH = 10;
/** The message attributes every event carries (when it has a value), for filter policies. */
export const EVENT_ATTRIBUTES = ['tenant', 'workflow', 'type', 'severity'] as const;

/**
 * Publishes Skein events to an SNS topic.
 * @example await new SnsNotifier({ client: new SNSClient({}), topicArn }).publish(events);
 */
export class SnsNotifier implements Notifier {
  private readonly client: SNSClient;
  readonly topicArn: string;

  constructor(props: SnsNotifierProps) {
    this.client = props.client;
    this.topicArn = props.topicArn;
  }

  async publish(events: readonly SkeinEvent[]): Promise<void> {
    const batches: PublishBatchRequestEntry[][] = [];
    events.forEach((event, index) => {
      if (index % SNS_MAX_BATCH === 0) batches.push([]);
      batches.at(-1)?.push(entryOf(event, index));
    });
    const results = await Promise.all(
      batches.map((entries) =>
        this.client.send(
          new PublishBatchCommand({ TopicArn: this.topicArn, PublishBatchRequestEntries: entries }),
        ),
      ),
    );
    const failed = results.flatMap((result) => (result.Failed ?? []).map(failure));
    if (failed.length > 0) throw new NotifyError(failed, events.length);
  }
}

/**
 * The PublishBatch entry of one event.
 * @example entryOf(event, 3) // { Id: 'e3', Subject: 'Skein run.failed: ...', Message: '{...}', MessageAttributes: { tenant: {...}, ... } }
 */
export function entryOf(event: SkeinEvent, index: number): PublishBatchRequestEntry {
  const attributes: Record<string, MessageAttributeValue> = {};
  for (const name of EVENT_ATTRIBUTES) {
    const value = event[name];
    if (value) attributes[name] = { DataType: 'String', StringValue: value };
  }
  // Events started by a trigger name it (trigger events, issue 11): subscriptions filter on it.
  const trigger = (event as { readonly trigger?: unknown }).trigger;
  if (typeof trigger === 'string' && trigger !== '')
    attributes.trigger = { DataType: 'String', StringValue: trigger };
  return {
    Id: `e${index}`,
    Subject: subjectOf(event),
    Message: JSON.stringify(event),
    MessageAttributes: attributes,
  };
}

/** `Skein run.failed: orders 1.2.0 run 01J...`, at most 100 printable ASCII characters (SNS). */
function subjectOf(event: SkeinEvent): string {
  const what = [event.workflow, event.version].filter(Boolean).join(' ');
  const node = event.nodeId === undefined ? '' : ` node ${event.nodeId}`;
  const run = event.runId === '' ? '' : `run ${event.runId}`;
  const trigger = event.type.startsWith('trigger.') ? `trigger ${event.trigger} ` : '';
  const subject = `Skein ${event.type}: ${what ? `${what} ` : ''}${trigger}${run}${node}`.trimEnd();
  return subject.replace(/[^\x20-\x7e]/g, '?').slice(0, 100);
}

function failure(entry: BatchResultErrorEntry) {
  return {
    index: Number((entry.Id ?? '').slice(1)),
    code: entry.Code ?? 'Unknown',
    message: entry.Message ?? '',
  };
}

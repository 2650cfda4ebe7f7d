import { Duration, Validations } from 'aws-cdk-lib';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

/**
 * A dead-letter queue of the stack: SQS-managed encryption, TLS only, messages kept 14 days, and
 * cdk-nag's "a queue should have a dead-letter queue" acknowledged with `reason` (what ends here).
 * @example this.deadLetterQueue = deadLetterQueue(this, "This queue is itself the webhook queue's dead-letter queue.");
 */
export function deadLetterQueue(scope: Construct, reason: string, id = 'DeadLetterQueue'): Queue {
  const queue = new Queue(scope, id, {
    encryption: QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  });
  Validations.of(queue).acknowledge({ id: 'AwsSolutions-SQS3', reason });
  return queue;
}

import { Duration, Validations } from 'aws-cdk-lib';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import {
  DefinitionBody,
  JsonPath,
  LogLevel,
  StateMachine,
  StateMachineType,
  Wait,
  WaitTime,
} from 'aws-cdk-lib/aws-stepfunctions';
import { CallAwsService } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { defaultLogRetention, removalPolicyOf } from './lambda.ts';

export interface SkeinTimerProps {
  /** Stage of the deployment. */
  readonly stage: string;
  /** The only queues the timer may send to: every pool's ready-node queue. */
  readonly queues: readonly IQueue[];
  /**
   * How long execution logs are kept.
   * @default one week for `dev`, three months otherwise
   */
  readonly logRetention?: RetentionDays;
}

/**
 * The timer behind the `Timer` port for delays longer than SQS allows (15 minutes): a Standard
 * Step Functions state machine (waits of up to a year cost nothing while waiting) whose input is
 * `{ "queueUrl": "<pool queue URL>", "body": "<message body>", "at": "<ISO-8601 timestamp>" }`.
 * A Wait state sleeps until `$.at` (`TimestampPath`; a past time continues at once), then an SQS
 * SendMessage (AWS SDK integration) delivers `body` to `queueUrl`, retried with backoff. Its
 * role may send to the pool queues only.
 *
 * @example
 * const timer = new SkeinTimer(this, 'Timer', { stage, queues: pools.map((pool) => pool.queue) });
 * timer.grantStart(worker);
 */
export class SkeinTimer extends Construct {
  /** The Standard state machine; start it with the input described above. */
  public readonly stateMachine: StateMachine;

  constructor(scope: Construct, id: string, props: SkeinTimerProps) {
    super(scope, id);
    if (props.queues.length === 0)
      throw new Error('SkeinTimer needs at least one queue to send to, got none');
    const wait = new Wait(this, 'WaitUntilDue', {
      comment: 'Sleeps until the message is due ($.at, ISO-8601)',
      time: WaitTime.timestampPath('$.at'),
    });
    const send = new CallAwsService(this, 'SendToPoolQueue', {
      comment: 'Delivers the message body to the pool queue named in the input',
      service: 'sqs',
      action: 'sendMessage',
      parameters: {
        QueueUrl: JsonPath.stringAt('$.queueUrl'),
        MessageBody: JsonPath.stringAt('$.body'),
      },
      iamAction: 'sqs:SendMessage',
      iamResources: props.queues.map((queue) => queue.queueArn),
    });
    send.addRetry({
      errors: ['States.ALL'],
      interval: Duration.seconds(2),
      backoffRate: 2,
      maxAttempts: 8,
    });
    const logGroup = new LogGroup(this, 'Logs', {
      // The vended-logs prefix keeps Step Functions log delivery off the account's size-limited
      // CloudWatch Logs resource policy.
      logGroupName: `/aws/vendedlogs/states/skein-${props.stage}-timer`,
      retention: props.logRetention ?? defaultLogRetention(props.stage),
      removalPolicy: removalPolicyOf(props.stage),
    });
    this.stateMachine = new StateMachine(this, 'StateMachine', {
      comment: 'Skein timer: delivers a queue message at a time further away than SQS delays allow',
      stateMachineType: StateMachineType.STANDARD,
      definitionBody: DefinitionBody.fromChainable(wait.next(send)),
      tracingEnabled: true,
      logs: { destination: logGroup, level: LogLevel.ALL, includeExecutionData: true },
    });
    Validations.of(this.stateMachine.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Step Functions log delivery (logs:CreateLogDelivery, PutResourcePolicy, ...) and X-Ray ' +
        'tracing (xray:PutTraceSegments, ...) support no resource-level permissions.',
    });
  }

  /** Lets `grantee` start timer executions (states:StartExecution on this state machine only). */
  public grantStart(grantee: IGrantable): void {
    this.stateMachine.grantStartExecution(grantee);
  }
}

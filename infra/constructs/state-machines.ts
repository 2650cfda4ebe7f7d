import { Duration, Validations } from 'aws-cdk-lib';
import { Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction as LambdaTarget } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IFunction, Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENV } from '../../shared/config.ts';
import { ENDED_EXECUTION_STATUSES } from '../../shared/ports/state-machines.ts';
import { deadLetterQueue } from './dead-letters.ts';
import { skeinFunction } from './lambda.ts';

/** The EventBridge source and detail-type of a Step Functions execution's status change. */
export const EXECUTION_STATUS_EVENT = {
  source: 'aws.states',
  detailType: 'Step Functions Execution Status Change',
} as const;

export interface SkeinStateMachinesProps {
  readonly stage: string;
  /** State machine ARNs `stepfunctions` nodes may start (`-c stateMachineAllow`); at least one. */
  readonly allow: readonly string[];
  /** The workers: they get the list and may start (and describe, stop) executions of exactly these. */
  readonly workers: readonly LambdaFunction[];
  /** The functions that stop runs (api, sweeper, trigger): they stop a cancelled node's execution. */
  readonly stoppers: readonly IFunction[];
  /** The engine functions' environment (tables, pool queues): the handler completes nodes. */
  readonly environment: Readonly<Record<string, string>>;
  /** Gives the handler the access of every engine function (run state, definitions, pool queues). */
  readonly grantEngineAccess: (fn: IFunction) => void;
  /** @default one week for `dev`, three months otherwise */
  readonly logRetention?: RetentionDays;
}

const STATE_MACHINE_ARN =
  /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:([A-Za-z0-9_-]{1,80})(:[A-Za-z0-9_.$-]{1,128})?$/;

/**
 * The `stepfunctions` node type's AWS side, only with an allow-list: the workers get
 * `SKEIN_STATE_MACHINE_ALLOW` and `states:StartExecution` on exactly those state machines, plus
 * `states:DescribeExecution` and `states:StopExecution` on their executions (the check after the
 * wait is written, and the stop at a node's timeout), and the functions that stop runs
 * `states:StopExecution` (a cancelled node's execution is stopped); an EventBridge rule on the default bus sends
 * their executions' terminal status changes (source `aws.states`) to the {@link handler}, which
 * completes the waiting node. Nothing polls. A delivery that keeps failing is retried for a day,
 * then lands in {@link deadLetterQueue}.
 * @example new SkeinStateMachines(this, 'StateMachines', { stage, allow: [arn], workers, environment, grantEngineAccess })
 */
export class SkeinStateMachines extends Construct {
  /** Completes `stepfunctions` nodes from status-change events. */
  public readonly handler: IFunction;
  /** The rule: terminal status changes of the allow-listed state machines → {@link handler}. */
  public readonly rule: Rule;
  /** Events the rule could not deliver to the handler within a day. */
  public readonly deadLetterQueue: Queue;

  constructor(scope: Construct, id: string, props: SkeinStateMachinesProps) {
    super(scope, id);
    if (props.allow.length === 0) throw new Error('SkeinStateMachines needs at least one state machine ARN');
    const machines = props.allow.map(checkedArn);
    const executions = machines.map(({ arn, name }) => executionArnPattern(arn, name));
    for (const worker of props.workers) {
      worker.addEnvironment(ENV.stateMachineAllow, props.allow.join(','));
      worker.addToRolePolicy(
        new PolicyStatement({ actions: ['states:StartExecution'], resources: machines.map((m) => m.arn) }),
      );
      worker.addToRolePolicy(
        new PolicyStatement({
          actions: ['states:DescribeExecution', 'states:StopExecution'],
          resources: executions,
        }),
      );
      acknowledgeExecutions(worker, executions);
    }
    for (const fn of props.stoppers) {
      fn.addToRolePolicy(new PolicyStatement({ actions: ['states:StopExecution'], resources: executions }));
      acknowledgeExecutions(fn, executions);
    }
    this.handler = skeinFunction(this, 'Handler', {
      handler: 'state-machine-events',
      stage: props.stage,
      description: 'Skein: completes stepfunctions nodes when their executions end',
      memoryMb: 512,
      timeout: Duration.seconds(30),
      environment: { ...props.environment, [ENV.stateMachineAllow]: props.allow.join(',') },
      ...(props.logRetention !== undefined && { logRetention: props.logRetention }),
    });
    props.grantEngineAccess(this.handler);
    // An event too large to carry the output: the handler reads it.
    this.handler.addToRolePolicy(
      new PolicyStatement({ actions: ['states:DescribeExecution'], resources: executions }),
    );
    acknowledgeExecutions(this.handler, executions);
    this.deadLetterQueue = deadLetterQueue(
      this,
      'This queue is itself a dead-letter destination: where EventBridge puts Step Functions ' +
        'status-change events it could not deliver to the handler within a day.',
    );
    this.rule = new Rule(this, 'StatusChangeRule', {
      description: 'Terminal status changes of the state machines stepfunctions nodes may start',
      eventPattern: {
        source: [EXECUTION_STATUS_EVENT.source],
        detailType: [EXECUTION_STATUS_EVENT.detailType],
        detail: { stateMachineArn: machines.map((m) => m.base), status: [...ENDED_EXECUTION_STATUSES] },
      },
      targets: [
        new LambdaTarget(this.handler, {
          retryAttempts: 185,
          maxEventAge: Duration.hours(24),
          deadLetterQueue: this.deadLetterQueue,
        }),
      ],
    });
  }
}

/** Execution ARNs are made per node attempt, so the grant names a state machine's executions by wildcard. */
function acknowledgeExecutions(fn: IFunction, executions: readonly string[]): void {
  if (fn.role === undefined) return;
  for (const execution of executions) {
    Validations.of(fn.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${execution}]`,
      reason:
        'Describe and stop the executions stepfunctions nodes start: their names are made per node ' +
        'attempt, so the grant covers the executions of one allow-listed state machine.',
    });
  }
}

/** An allow-list entry: the ARN as given, its state machine's name, and the ARN without a version or alias. */
function checkedArn(arn: string): { arn: string; name: string; base: string } {
  const match = STATE_MACHINE_ARN.exec(arn);
  if (!match) {
    throw new Error(
      `stateMachineAllow entries are state machine ARNs such as arn:aws:states:eu-west-1:123456789012:stateMachine:orders, got ${JSON.stringify(arn)}`,
    );
  }
  const name = match[1] ?? '';
  const qualifier = match[2] ?? '';
  return { arn, name, base: arn.slice(0, arn.length - qualifier.length) };
}

/** `arn:…:execution:<name>:*`: every execution of the state machine. */
function executionArnPattern(arn: string, name: string): string {
  const [prefix, partition, service, region, account] = arn.split(':');
  return `${[prefix, partition, service, region, account, 'execution', name].join(':')}:*`;
}

import { Duration, Stack, Validations } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENV, MAX_RECEIVE_COUNT } from '../../shared/config.ts';
import { secretsPath } from '../../shared/config-executors.ts';
import { skeinFunction } from './lambda.ts';
import type { ResolvedWorkerPool } from './pools.ts';

/** Messages per worker invocation (the SQS maximum for standard queues without a window cap). */
export const WORKER_BATCH_SIZE = 10;

export interface WorkerPoolProps {
  /** The pool, with defaults filled in by `resolvePools`. */
  readonly pool: ResolvedWorkerPool;
  /** Stage of the deployment. */
  readonly stage: string;
  /**
   * How long the worker's logs are kept.
   * @default one week for `dev`, three months otherwise
   */
  readonly logRetention?: RetentionDays;
}

/**
 * One worker pool: the ready-node queue (SSL only, SQS-managed encryption, visibility timeout
 * six times the worker timeout plus the batching window), its dead-letter queue (after
 * {@link MAX_RECEIVE_COUNT} receives, kept 14 days) and the worker function, fed batches of 10 by
 * an SQS event source that reports partial batch failures and caps the pool's concurrency.
 *
 * The worker gets its own `SKEIN_QUEUE_URL` here; `SkeinEngine`, which knows every pool, adds
 * the shared environment (tables, pool queues, timer) and the grants.
 */
export class WorkerPool extends Construct {
  /** The pool's name, as nodes refer to it. */
  public readonly name: string;
  /** Ready-node messages of this pool. */
  public readonly queue: Queue;
  /** Messages that failed {@link MAX_RECEIVE_COUNT} times. */
  public readonly deadLetterQueue: Queue;
  /** The worker draining {@link queue}. */
  public readonly worker: LambdaFunction;
  /** The worker's function timeout: the longest a node of this pool can run (minus a margin). */
  public readonly timeoutSeconds: number;

  constructor(scope: Construct, id: string, props: WorkerPoolProps) {
    super(scope, id);
    const { pool } = props;
    this.name = pool.name;
    this.timeoutSeconds = pool.timeoutSeconds;
    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.queue = new Queue(this, 'Queue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(6 * pool.timeoutSeconds + pool.batchingWindowSeconds),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: MAX_RECEIVE_COUNT },
    });
    const worker = skeinFunction(this, 'Worker', {
      handler: 'worker',
      stage: props.stage,
      description: `Skein worker of pool "${pool.name}": claims, executes and completes ready nodes`,
      memoryMb: pool.memoryMb,
      timeout: Duration.seconds(pool.timeoutSeconds),
      environment: { [ENV.queueUrl]: this.queue.queueUrl },
      ...(props.logRetention !== undefined && { logRetention: props.logRetention }),
      // Script nodes: quickjs-emscripten and wasmoon load these binaries from the bundle's folder.
      copyFiles: ['@jitl/quickjs-wasmfile-release-sync/wasm', 'wasmoon/dist/glue.wasm'],
      // Expressions (`with`, `when`, `if`, outputs) and scripts run in the sandbox's hosts.
      sandbox: ['expressions', 'scripts'],
      perNode: { traced: pool.tracing },
    });
    // `$secret('name')` in http nodes: the tenants' parameters under this stage's path, nothing else.
    worker.addToRolePolicy(
      new PolicyStatement({
        actions: ['ssm:GetParameter'],
        resources: [
          Stack.of(this).formatArn({
            service: 'ssm',
            resource: 'parameter',
            resourceName: `${secretsPath(props.stage).slice(1)}*`,
          }),
        ],
      }),
    );
    Validations.of(worker.role ?? worker).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ssm:<AWS::Region>:<AWS::AccountId>:parameter${secretsPath(props.stage)}*]`,
      reason:
        "Tenants' secrets are parameters named /skein/<stage>/<tenant>/<name>, created by operators " +
        'after the deploy: the worker may read that path of its own stage only (ssm:GetParameter).',
    });
    worker.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: WORKER_BATCH_SIZE,
        maxBatchingWindow: Duration.seconds(pool.batchingWindowSeconds),
        maxConcurrency: pool.maxConcurrency,
        reportBatchItemFailures: true,
      }),
    );
    this.worker = worker;
  }
}

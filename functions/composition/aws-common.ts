/**
 * What every AWS composition shares: the configuration (read lazily, see `awsConfig`), the logger,
 * the tracer and the DynamoDB client, each built once per cold start. The entry points in
 * `functions/` import only the composition they use, so each bundle carries only its own clients
 * and adapters:
 *
 * | function   | composition                         | variables (besides `SKEIN_STAGE`)                              |
 * | ---------- | ----------------------------------- | -------------------------------------------------------------- |
 * | api        | `aws-engine.ts`, `aws-api-keys.ts`  | DEFINITIONS, CONTROL, RUNS tables, POOL_QUEUES, QUEUE_URL_PREFIX |
 * | authorizer | `aws-api-keys.ts`                   | CONTROL table                                                  |
 * | worker     | `aws-engine.ts`                     | the api's but CONTROL, QUEUE_URL, QUEUE_ARN_PREFIX, TIMER_*     |
 * | sweeper    | `aws-engine.ts`                     | DEFINITIONS, RUNS, POOL_QUEUES, QUEUE_URL_PREFIX                |
 * | trigger    | `aws-engine.ts`                     | DEFINITIONS, RUNS, POOL_QUEUES, QUEUE_URL_PREFIX                |
 * | monitor    | `aws-monitor.ts`                    | EVENTS_TOPIC_ARN, RUNS table (read)                            |
 * | state-machine-events | `aws-engine.ts`, `aws-state-machines.ts` | the sweeper's, STATE_MACHINE_ALLOW (only with `-c stateMachineAllow`) |
 *
 * The engine's functions (api, worker, sweeper, trigger) also get PAYLOAD_BUCKET (and, with CDK
 * context `payloadThresholdBytes`, PAYLOAD_THRESHOLD_BYTES): values over the threshold live there.
 * The monitor reads only the run's tenant, workflow and version, never a payload.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { awsConfig } from '../../shared/config.ts';

/** A value built on first use, then kept for the life of the Lambda instance. */
export function once<T>(build: () => T): () => T {
  let built: { readonly value: T } | undefined;
  return () => {
    built ??= { value: build() };
    return built.value;
  };
}

export const config = awsConfig();

/** Structured JSON logs, service `skein`, with the stage on every line. */
export const logger = new Logger({ serviceName: 'skein', persistentKeys: { stage: config.stage } });

/** `(message, details)` logging for the shared handlers and the API. */
export const logError = (message: string, details: unknown): void => {
  if (details instanceof Error) logger.error(message, details);
  else logger.error(message, { details });
};

/**
 * X-Ray segments for every AWS SDK call (the CDK app turns active tracing on); outside Lambda,
 * as in tests, Powertools disables it.
 */
export const tracer = new Tracer({ serviceName: 'skein' });

/** The DynamoDB document client (undefined attributes removed), traced. */
export const dynamo = once(() =>
  DynamoDBDocumentClient.from(tracer.captureAWSv3Client(new DynamoDBClient({})), {
    marshallOptions: { removeUndefinedValues: true },
  }),
);

/**
 * Embedded fauxqs (SQS/SNS/S3 emulator) for local mode and tests: SQS for the ready queue, SNS for
 * events and subscriptions (`snsClient`, `createTopic`), S3 for
 * large payloads (`s3Client`, `createBucket`; its objects live in memory, like its queues). fauxqs is pure JS with a
 * programmatic API, so it runs inside this process: no child to clean up, and it stops with us.
 * It checks no credentials, so it listens on 127.0.0.1 only: fauxqs's own `startFauxqs` binds
 * every interface (0.0.0.0, not configurable in 1.9), so we build its app and listen ourselves.
 */
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  type QueueAttributeName,
  SQSClient,
  type SQSClientConfig,
} from '@aws-sdk/client-sqs';
import { buildApp } from 'fauxqs';

export interface FauxqsOptions {
  /** Port to listen on. @default a free port chosen by the OS */
  readonly port?: number;
}

export interface Fauxqs {
  /** `http://127.0.0.1:<port>`, for `SQSClient({ endpoint })`. */
  readonly endpoint: string;
  readonly port: number;
  /** Stops the server. Safe to call more than once. */
  stop(): Promise<void>;
}

/**
 * Starts fauxqs and resolves once it listens.
 * @example
 * const sqs = await startFauxqs();
 * const client = sqsClient(sqs.endpoint);
 * const queueUrl = await createQueue(client, 'ready-nodes');
 * // ...
 * await sqs.stop();
 */
export async function startFauxqs(options: FauxqsOptions = {}): Promise<Fauxqs> {
  const app = buildApp({ logger: false });
  let port: number;
  try {
    await app.listen({ port: options.port ?? 0, host: LOOPBACK });
    const address = app.server.address();
    if (typeof address !== 'object' || address === null) throw new Error('fauxqs has no TCP address');
    port = address.port;
  } catch (error) {
    await app.close();
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new Error(
        `Cannot start fauxqs: port ${options.port} is in use; pick another port or omit it for a free one`,
        { cause: error },
      );
    }
    throw error;
  }
  let stopped: Promise<void> | undefined;
  return {
    endpoint: `http://${LOOPBACK}:${port}`,
    port,
    stop: async () => {
      stopped ??= app.close().then(() => undefined);
      await stopped;
    },
  };
}

const LOOPBACK = '127.0.0.1';

/** An SQS client for a local endpoint: region us-east-1 and dummy credentials, nothing read from `~/.aws`. */
export function sqsClient(endpoint: string, config: SQSClientConfig = {}): SQSClient {
  return new SQSClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    ...config,
  });
}

/** Creates (or finds) a standard queue and returns its URL. */
export async function createQueue(
  client: SQSClient,
  name: string,
  attributes: Partial<Record<QueueAttributeName, string>> = {},
): Promise<string> {
  const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  if (!QueueUrl) throw new Error(`CreateQueue returned no URL for ${name}`);
  return QueueUrl;
}

/** The bucket local mode keeps large payloads in (fauxqs's S3, in memory). */
export const LOCAL_PAYLOAD_BUCKET = 'skein-payloads';

/**
 * An S3 client for fauxqs: path-style URLs (`<endpoint>/<bucket>/<key>`, no `*.localhost` DNS),
 * region us-east-1 and dummy credentials, nothing read from `~/.aws`.
 */
export function s3Client(endpoint: string): S3Client {
  return new S3Client({
    endpoint,
    forcePathStyle: true,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
}

/** Creates a bucket (idempotent on fauxqs) and returns its name. */
export async function createBucket(client: S3Client, name: string = LOCAL_PAYLOAD_BUCKET): Promise<string> {
  await client.send(new CreateBucketCommand({ Bucket: name }));
  return name;
}

/** An SNS client for fauxqs (its SNS emulates topics, subscriptions and filter policies). */
export function snsClient(endpoint: string): SNSClient {
  return new SNSClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
}

/** Creates (or finds) a topic and returns its ARN. */
export async function createTopic(client: SNSClient, name: string): Promise<string> {
  const { TopicArn } = await client.send(new CreateTopicCommand({ Name: name }));
  if (!TopicArn) throw new Error(`CreateTopic returned no ARN for ${name}`);
  return TopicArn;
}

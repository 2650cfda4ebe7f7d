/**
 * Lambda events as AWS delivers them (field for field, from the documented samples), for the
 * handler tests: API Gateway HTTP API (payload 2.0), its Lambda authorizer, SQS, DynamoDB
 * Streams (NEW_AND_OLD_IMAGES) and EventBridge.
 */
import { marshall } from '@aws-sdk/util-dynamodb';
import type {
  APIGatewayProxyEventV2,
  APIGatewayRequestAuthorizerEventV2,
  AttributeValue,
  Context,
  DynamoDBRecord,
  EventBridgeEvent,
  SQSRecord,
} from 'aws-lambda';

const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
const API_ID = 'a1b2c3d4e5';
const TIME_EPOCH = Date.UTC(2026, 0, 1, 12, 0, 0);

/** An HTTP API request (payload 2.0, `$default` stage). Header names are lower case, as API Gateway sends them. */
export function httpApiEvent(options: {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: unknown;
  query?: Record<string, string>;
}): APIGatewayProxyEventV2 {
  const body = options.body === undefined ? undefined : JSON.stringify(options.body);
  const query = new URLSearchParams(options.query ?? {}).toString();
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: options.path,
    rawQueryString: query,
    headers: {
      accept: '*/*',
      host: `${API_ID}.execute-api.${REGION}.amazonaws.com`,
      'user-agent': 'curl/8.5.0',
      'x-amzn-trace-id': 'Root=1-65f1c2d3-0123456789abcdef01234567',
      'x-forwarded-for': '203.0.113.7',
      'x-forwarded-port': '443',
      'x-forwarded-proto': 'https',
      ...(body === undefined
        ? {}
        : { 'content-type': 'application/json', 'content-length': String(body.length) }),
      ...options.headers,
    },
    ...(options.query ? { queryStringParameters: options.query } : {}),
    requestContext: {
      accountId: ACCOUNT,
      apiId: API_ID,
      domainName: `${API_ID}.execute-api.${REGION}.amazonaws.com`,
      domainPrefix: API_ID,
      http: {
        method: options.method,
        path: options.path,
        protocol: 'HTTP/1.1',
        sourceIp: '203.0.113.7',
        userAgent: 'curl/8.5.0',
      },
      requestId: 'JKJaXmPLvHcESHA=',
      routeKey: '$default',
      stage: '$default',
      time: '01/Jan/2026:12:00:00 +0000',
      timeEpoch: TIME_EPOCH,
    },
    ...(body === undefined ? {} : { body }),
    isBase64Encoded: false,
  };
}

/**
 * A Lambda authorizer request (payload 2.0) for `GET /v1/tenants/acme/workflows`, from `sourceIp`;
 * `identitySource` holds the values of the identity sources (Authorization, source address).
 */
export function authorizerEvent(
  headers: Record<string, string>,
  sourceIp = '203.0.113.7',
): APIGatewayRequestAuthorizerEventV2 {
  const http = httpApiEvent({ method: 'GET', path: '/v1/tenants/acme/workflows', headers });
  http.requestContext.http.sourceIp = sourceIp;
  return {
    version: '2.0',
    type: 'REQUEST',
    routeArn: `arn:aws:execute-api:${REGION}:${ACCOUNT}:${API_ID}/$default/GET/v1/tenants/acme/workflows`,
    identitySource: [headers.authorization, sourceIp].filter((value) => value !== undefined),
    routeKey: 'ANY /v1/{proxy+}',
    rawPath: http.rawPath,
    rawQueryString: '',
    cookies: [],
    headers: http.headers as Record<string, string>,
    queryStringParameters: {},
    requestContext: http.requestContext,
    pathParameters: { proxy: 'tenants/acme/workflows' },
    stageVariables: {},
  };
}

/** One SQS record as the event source mapping delivers it. */
export function sqsRecord(messageId: string, body: string, receiveCount = 1): SQSRecord {
  return {
    messageId,
    receiptHandle: `AQEB${messageId}Zm9vYmFy/receipt==`,
    body,
    attributes: {
      ApproximateReceiveCount: String(receiveCount),
      SentTimestamp: String(TIME_EPOCH),
      SenderId: 'AROAEXAMPLE:skein-api',
      ApproximateFirstReceiveTimestamp: String(TIME_EPOCH + 5),
    },
    messageAttributes: {},
    md5OfBody: '0123456789abcdef0123456789abcdef',
    eventSource: 'aws:sqs',
    eventSourceARN: `arn:aws:sqs:${REGION}:${ACCOUNT}:skein-default`,
    awsRegion: REGION,
  };
}

type Item = Record<string, unknown>;
const image = (item: Item) =>
  marshall(item, { removeUndefinedValues: true }) as unknown as Record<string, AttributeValue>;

let sequence = 4_421_584_500_000_000_017_450_439_000n;

/** One DynamoDB stream record of the runs table; a `ttl` removal carries the TTL service identity. */
export function streamRecord(options: {
  eventName: 'INSERT' | 'MODIFY' | 'REMOVE';
  oldItem?: Item;
  newItem?: Item;
  ttl?: boolean;
  at?: number;
}): DynamoDBRecord {
  const item = options.newItem ?? options.oldItem ?? {};
  sequence += 100n;
  return {
    eventID: `c81e728d9d4c2f636f067f89cc14862${sequence % 10n}`,
    eventName: options.eventName,
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: REGION,
    dynamodb: {
      ApproximateCreationDateTime: Math.floor((options.at ?? TIME_EPOCH) / 1000),
      Keys: image({ pk: item.pk, sk: item.sk }),
      ...(options.newItem ? { NewImage: image(options.newItem) } : {}),
      ...(options.oldItem ? { OldImage: image(options.oldItem) } : {}),
      SequenceNumber: String(sequence),
      SizeBytes: 512,
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    },
    eventSourceARN: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/skein-runs/stream/2026-01-01T00:00:00.000`,
    ...(options.ttl ? { userIdentity: { type: 'Service', principalId: 'dynamodb.amazonaws.com' } } : {}),
  };
}

/** An EventBridge event as a rule target receives it. */
export function eventBridgeEvent<D>(
  detailType: string,
  detail: D,
  id = '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
) {
  return {
    version: '0',
    id,
    'detail-type': detailType,
    source: 'com.example.orders',
    account: ACCOUNT,
    time: '2026-01-01T12:00:00Z',
    region: REGION,
    resources: [],
    detail,
  } satisfies EventBridgeEvent<string, D>;
}

/** The Lambda context, with the remaining time the worker bounds its attempts by. */
export function lambdaContext(remainingMs = 60_000): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'skein-worker',
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:skein-worker`,
    memoryLimitInMB: '1024',
    awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef',
    logGroupName: '/aws/lambda/skein-worker',
    logStreamName: '2026/01/01/[$LATEST]abcdef',
    getRemainingTimeInMillis: () => remainingMs,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

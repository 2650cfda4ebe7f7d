import { Duration, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  CorsHttpMethod,
  HttpApi,
  HttpMethod,
  HttpNoneAuthorizer,
  type HttpStage,
  LogGroupLogDestination,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaAuthorizer, HttpLambdaResponseType } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ENV } from '../../shared/config.ts';
import { defaultLogRetention, removalPolicyOf, skeinFunction } from './lambda.ts';

/**
 * Routes that skip the authorizer: the health check, the OpenAPI document, webhook deliveries and
 * the web UI's files (which hold no data: the page calls `/v1` with the key in a header).
 */
export const PUBLIC_ROUTES = [
  { method: HttpMethod.GET, path: '/health', why: 'a health check for load balancers and uptime probes' },
  { method: HttpMethod.GET, path: '/openapi.json', why: 'the public OpenAPI description of the API' },
  {
    method: HttpMethod.POST,
    path: '/v1/hooks/{hook}',
    why: 'webhook deliveries, authenticated by their signature (Standard Webhooks), not an API key',
  },
  { method: HttpMethod.GET, path: '/', why: 'the web UI page, which holds no data and asks for a key' },
  { method: HttpMethod.GET, path: '/ui/{file}', why: "the web UI's script and stylesheet (no data)" },
] as const;

/**
 * What API Gateway caches the authorizer's answer by, and requires: a request without an
 * `Authorization` header is refused with 401 before the authorizer runs. The key is read from
 * that header (the app's rule reads `Authorization` first, so the cached answer is always about
 * the header that decided); the source address is part of the cache key so that a refusal of an
 * address over its limit of unknown keys never applies to the same key sent from elsewhere.
 */
export const IDENTITY_SOURCES = ['$request.header.Authorization', '$context.identity.sourceIp'] as const;

/** Memory (and so CPU) of the authorizer, whose cold start comes before the api function's. */
export const AUTHORIZER_MEMORY_MB = 1024;

/** Stage-wide throttling of every route. */
export interface ApiThrottle {
  /** Steady-state requests per second. */
  readonly rateLimit: number;
  /** Requests allowed in a burst above the rate. */
  readonly burstLimit: number;
}

export interface SkeinApiProps {
  /** Stage of the deployment. */
  readonly stage: string;
  /**
   * Environment of the api function besides the control table: the engine's
   * (`SkeinEngine.environment`: definitions and runs tables, pool queues).
   */
  readonly environment: Readonly<Record<string, string>>;
  /** API keys (sha256 hashes → tenant): read by the authorizer, read and written by the api function. */
  readonly controlTable: ITable;
  /**
   * Origins allowed to call the API from a browser (CORS preflight answered by API Gateway).
   * @default none: CORS off
   */
  readonly corsOrigins?: readonly string[];
  /**
   * Throttling of every route of the default stage.
   * @default { rateLimit: 50, burstLimit: 100 }
   */
  readonly throttle?: ApiThrottle;
  /**
   * How long the authorizer's answer is cached per `Authorization` header value and source address
   * (0 turns caching off). A revoked key is refused by the api function within 30 s whatever this is.
   * @default 60 seconds
   */
  readonly authorizerCacheTtl?: Duration;
  /**
   * How long access logs and function logs are kept.
   * @default one week for `dev`, three months otherwise
   */
  readonly logRetention?: RetentionDays;
}

/**
 * The HTTP API: API Gateway (HTTP API, `$default` stage with throttling and JSON access logs)
 * in front of the api function (the Hono app), with a Lambda authorizer on every route except
 * {@link PUBLIC_ROUTES}.
 *
 * The authorizer answers with simple responses (`{ isAuthorized, context }`) and is cached for
 * {@link SkeinApiProps.authorizerCacheTtl} per {@link IDENTITY_SOURCES} (the `Authorization`
 * header and the source address), so its answer must depend on those alone (never on the path):
 * the api function checks the key again and the tenant of the path against it. API Gateway
 * refuses requests without `Authorization` with 401 before the authorizer runs, so on AWS the
 * key travels as `Authorization: Bearer <key>`; `X-Api-Key` (read only without `Authorization`)
 * would need caching off and no identity source.
 *
 * @example
 * const api = new SkeinApi(this, 'Api', { stage, environment: engine.environment, controlTable });
 * engine.grantEngineAccess(api.handler);
 */
export class SkeinApi extends Construct {
  /** The HTTP API. */
  public readonly httpApi: HttpApi;
  /** The `$default` stage; {@link url} is its invoke URL. */
  public readonly stage: HttpStage;
  /** The Hono app. */
  public readonly handler: LambdaFunction;
  /** Checks API keys. */
  public readonly authorizer: LambdaFunction;
  /** Access logs of the stage. */
  public readonly accessLogs: LogGroup;
  /** The API's base URL, ending in `/`. */
  public readonly url: string;

  constructor(scope: Construct, id: string, props: SkeinApiProps) {
    super(scope, id);
    const retention = props.logRetention ?? defaultLogRetention(props.stage);
    const throttle = props.throttle ?? { rateLimit: 50, burstLimit: 100 };
    if (!(throttle.rateLimit > 0 && Number.isInteger(throttle.burstLimit) && throttle.burstLimit > 0)) {
      throw new Error(`throttle needs a positive rateLimit and burstLimit, got ${JSON.stringify(throttle)}`);
    }
    this.handler = skeinFunction(this, 'Handler', {
      handler: 'api',
      stage: props.stage,
      description: 'Skein HTTP API (Hono app): definitions, runs, controls, triggers',
      memoryMb: 1024,
      // API Gateway gives up on an integration after 30 seconds.
      timeout: Duration.seconds(29),
      // The web UI's files beside its bundle, served at `/` (one origin: no CORS, no bucket).
      ui: true,
      environment: { ...props.environment, [ENV.controlTable]: props.controlTable.tableName },
      logRetention: retention,
    });
    this.authorizer = skeinFunction(this, 'Authorizer', {
      handler: 'authorizer',
      stage: props.stage,
      description: 'Skein API key authorizer: key hash → tenant',
      // Its cold start runs before the api function's, in series: CPU scales with memory, so it
      // gets the api's 1024 MB (4× the CPU of 256 MB). Answers are cached per key and address, so
      // it runs rarely: about $0.40 per million authorizations at 30 ms, against $0.10 at 256 MB.
      memoryMb: AUTHORIZER_MEMORY_MB,
      timeout: Duration.seconds(10),
      environment: { [ENV.controlTable]: props.controlTable.tableName },
      logRetention: retention,
    });
    props.controlTable.grantReadData(this.authorizer);
    props.controlTable.grantReadWriteData(this.handler);

    const authorizer = new HttpLambdaAuthorizer('ApiKeyAuthorizer', this.authorizer, {
      responseTypes: [HttpLambdaResponseType.SIMPLE],
      identitySource: [...IDENTITY_SOURCES],
      resultsCacheTtl: props.authorizerCacheTtl ?? Duration.seconds(60),
    });
    const integration = new HttpLambdaIntegration('ApiIntegration', this.handler);
    const corsOrigins = props.corsOrigins ?? [];
    this.httpApi = new HttpApi(this, 'HttpApi', {
      apiName: `Skein-${props.stage}`,
      description: `Skein ${props.stage} API`,
      createDefaultStage: false,
      defaultAuthorizer: authorizer,
      ...(corsOrigins.length > 0 && {
        corsPreflight: {
          allowOrigins: [...corsOrigins],
          allowMethods: [CorsHttpMethod.GET, CorsHttpMethod.POST, CorsHttpMethod.PUT, CorsHttpMethod.DELETE],
          allowHeaders: ['authorization', 'content-type', 'x-api-key'],
          maxAge: Duration.hours(1),
        },
      }),
    });
    this.httpApi.addRoutes({ path: '/{proxy+}', methods: [HttpMethod.ANY], integration });
    if (corsOrigins.length > 0) {
      // Browsers send preflights without credentials: without this route the authorizer of
      // `ANY /{proxy+}` would refuse them with 401 before API Gateway answers for CORS.
      const [preflight] = this.httpApi.addRoutes({
        path: '/{proxy+}',
        methods: [HttpMethod.OPTIONS],
        integration,
        authorizer: new HttpNoneAuthorizer(),
      });
      if (preflight) {
        Validations.of(preflight).acknowledge({
          id: 'AwsSolutions-APIG4',
          reason: 'OPTIONS /{proxy+} is public on purpose: CORS preflights carry no credentials.',
        });
      }
    }
    for (const route of PUBLIC_ROUTES) {
      const [added] = this.httpApi.addRoutes({
        path: route.path,
        methods: [route.method],
        integration,
        authorizer: new HttpNoneAuthorizer(),
      });
      if (added === undefined) continue;
      Validations.of(added).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason: `${route.method} ${route.path} is public on purpose: ${route.why}.`,
      });
    }

    this.accessLogs = new LogGroup(this, 'AccessLogs', {
      retention,
      removalPolicy: removalPolicyOf(props.stage),
    });
    this.stage = this.httpApi.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      throttle,
      accessLogSettings: {
        destination: new LogGroupLogDestination(this.accessLogs),
        format: AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
      },
    });
    // No trailing slash, so `${url}/v1/...` is a valid path.
    this.url = this.httpApi.apiEndpoint;
  }
}

/** One JSON object per request; `$context` variables of HTTP APIs. */
const ACCESS_LOG_FIELDS = {
  requestId: '$context.requestId',
  ip: '$context.identity.sourceIp',
  requestTime: '$context.requestTime',
  method: '$context.httpMethod',
  routeKey: '$context.routeKey',
  path: '$context.path',
  status: '$context.status',
  protocol: '$context.protocol',
  responseLength: '$context.responseLength',
  responseLatency: '$context.responseLatency',
  integrationLatency: '$context.integrationLatency',
  integrationError: '$context.integrationErrorMessage',
  authorizerError: '$context.authorizer.error',
  tenant: '$context.authorizer.tenant',
  keyId: '$context.authorizer.keyId',
};

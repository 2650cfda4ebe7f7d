import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { IDENTITY_SOURCES, PUBLIC_ROUTES } from '../../infra/constructs/api.ts';
import { getAtt, logicalId, onlyResource, ref, synthStack } from './helpers.ts';

describe('SkeinApi', () => {
  it('puts an HTTP API in front of the api function, every route but the public ones behind the authorizer', () => {
    // Prepare / Act
    const { stack, template } = synthStack('prod');
    // Assess
    template.resourceCountIs('AWS::ApiGatewayV2::Api', 1);
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      ProtocolType: 'HTTP',
      CorsConfiguration: Match.absent(),
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      IntegrationType: 'AWS_PROXY',
      IntegrationUri: getAtt(stack, stack.api.handler),
      PayloadFormatVersion: '2.0',
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: 'ANY /{proxy+}',
      AuthorizationType: 'CUSTOM',
      AuthorizerId: { Ref: Match.stringLikeRegexp('ApiKeyAuthorizer') },
    });
    for (const route of PUBLIC_ROUTES) {
      template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
        RouteKey: `${route.method} ${route.path}`,
        AuthorizationType: 'NONE',
      });
    }
    expect(PUBLIC_ROUTES.map((route) => route.path)).toEqual([
      '/health',
      '/openapi.json',
      '/v1/hooks/{hook}',
      '/',
      '/ui/{file}',
    ]);
  });

  it('routes the web UI (GET / and GET /ui/{file}) to the api function, without the authorizer', () => {
    // Prepare
    const { template } = synthStack('prod');
    // Act
    const routes = template.findResources('AWS::ApiGatewayV2::Route');
    const byKey = new Map(
      Object.values(routes).map((route) => [route.Properties.RouteKey, route.Properties]),
    );
    const proxy = byKey.get('ANY /{proxy+}');
    // Assess: the same integration as every other route, and no authorizer (the files carry no data).
    for (const key of ['GET /', 'GET /ui/{file}']) {
      expect(byKey.get(key), key).toMatchObject({ AuthorizationType: 'NONE', Target: proxy?.Target });
      expect(byKey.get(key)?.AuthorizerId, key).toBeUndefined();
    }
    expect(proxy).toMatchObject({ AuthorizationType: 'CUSTOM' });
  });

  it('has a Lambda authorizer with simple responses, cached for 60 s per Authorization header and source address', () => {
    // Prepare / Act
    const { stack, template } = synthStack('prod');
    // Assess
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'REQUEST',
      EnableSimpleResponses: true,
      AuthorizerPayloadFormatVersion: '2.0',
      IdentitySource: [...IDENTITY_SOURCES],
      AuthorizerResultTtlInSeconds: 60,
      AuthorizerUri: Match.objectLike({
        'Fn::Join': ['', Match.arrayWith([getAtt(stack, stack.api.authorizer)])],
      }),
    });
    expect(IDENTITY_SOURCES).toEqual(['$request.header.Authorization', '$context.identity.sourceIp']);
  });

  it('throttles every route and writes JSON access logs with the request id to its log group', () => {
    // Prepare
    const { stack, template } = synthStack('prod');
    // Act
    const stage = onlyResource(template, 'AWS::ApiGatewayV2::Stage');
    // Assess
    expect(stage.Properties).toMatchObject({
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingBurstLimit: 100, ThrottlingRateLimit: 50 },
      AccessLogSettings: { DestinationArn: getAtt(stack, stack.api.accessLogs) },
    });
    const format = JSON.parse(stage.Properties.AccessLogSettings.Format);
    expect(format).toMatchObject({
      requestId: '$context.requestId',
      status: '$context.status',
      ip: '$context.identity.sourceIp',
      keyId: '$context.authorizer.keyId',
    });
  });

  it('lets the authorizer read API keys and the api function read and write them', () => {
    // Prepare / Act
    const { stack, template } = synthStack('prod');
    const control = getAtt(stack, stack.store.controlTable);
    // Assess
    for (const [fn, action] of [
      [stack.api.authorizer, 'dynamodb:GetItem'],
      [stack.api.handler, 'dynamodb:PutItem'],
    ] as const) {
      template.hasResourceProperties('AWS::IAM::Policy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Action: Match.arrayWith([action]), Resource: Match.arrayWith([control]) }),
          ]),
        },
        Roles: [ref(stack, fn.role as never)],
      });
    }
  });

  it('gives the authorizer no write access to the control table: only the api function revokes keys and records their use', () => {
    // Prepare
    const { stack, template } = synthStack('prod');
    // Act
    const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((policy) =>
      JSON.stringify(policy.Properties.Roles).includes(logicalId(stack, stack.api.authorizer.role as never)),
    );
    // Assess
    expect(policies).not.toEqual([]);
    expect(JSON.stringify(policies)).not.toMatch(/dynamodb:(PutItem|UpdateItem|DeleteItem|BatchWriteItem)/);
  });

  it('answers CORS preflights only for the origins it is given', () => {
    // Prepare / Act
    const { template } = synthStack('dev', { corsOrigins: ['https://app.example.com'] });
    // Assess
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      CorsConfiguration: Match.objectLike({
        AllowOrigins: ['https://app.example.com'],
        AllowHeaders: ['authorization', 'content-type', 'x-api-key'],
      }),
    });
  });

  it('answers CORS preflights without the authorizer when origins are allowed, and has no such route otherwise', () => {
    // Prepare / Act
    const withCors = synthStack('prod', { corsOrigins: ['https://app.example.com'] }).template;
    const without = synthStack('prod').template;
    // Assess
    withCors.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: 'OPTIONS /{proxy+}',
      AuthorizationType: 'NONE',
    });
    withCors.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      CorsConfiguration: Match.objectLike({ AllowOrigins: ['https://app.example.com'] }),
    });
    expect(JSON.stringify(without.findResources('AWS::ApiGatewayV2::Route'))).not.toContain('OPTIONS');
  });
});

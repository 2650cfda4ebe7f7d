import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type CfnElement, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { SkeinStore } from '../../infra/constructs/store.ts';
import { stageFrom } from '../../infra/skein-stack.ts';
import { LISTED_RUN_ATTRIBUTES } from '../../shared/adapters/aws/dynamodb-run-items.ts';
import { ENV } from '../../shared/config.ts';
import { synthStack, testApp } from './helpers.ts';

// Stacks come from helpers.ts: cached per stage, no bundling (no esbuild runs).
const synth = (stage: string) => synthStack(stage);

const logicalId = (stack: Stack, table: { node: { defaultChild?: unknown } }) =>
  stack.getLogicalId(table.node.defaultChild as CfnElement);

const KEYS = {
  KeySchema: [
    { AttributeName: 'pk', KeyType: 'HASH' },
    { AttributeName: 'sk', KeyType: 'RANGE' },
  ],
  AttributeDefinitions: Match.arrayWith([
    { AttributeName: 'pk', AttributeType: 'S' },
    { AttributeName: 'sk', AttributeType: 'S' },
  ]),
};

/**
 * A run index, sorted by the ULID `runId` (newest first when read backwards), carrying the run's
 * fields but not its outputs, so a large output is not copied into every index at run end.
 */
const runIndex = (IndexName: string, partitionKey: string) => ({
  IndexName,
  KeySchema: [
    { AttributeName: partitionKey, KeyType: 'HASH' },
    { AttributeName: 'runId', KeyType: 'RANGE' },
  ],
  Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: [...LISTED_RUN_ATTRIBUTES] },
});

describe('SkeinStack', () => {
  it.each([
    ['prod', true, 'Retain'],
    ['dev', false, 'Delete'],
  ])(
    'gives %s three encrypted on-demand tables with PITR, deletion protection %s, policy %s',
    (stage, protect, policy) => {
      // Prepare / Act
      const { template } = synth(stage);
      // Assess
      template.resourceCountIs('AWS::DynamoDB::Table', 3);
      template.allResourcesProperties('AWS::DynamoDB::Table', {
        ...KEYS,
        BillingMode: 'PAY_PER_REQUEST',
        SSESpecification: { SSEEnabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        DeletionProtectionEnabled: protect,
      });
      template.allResources('AWS::DynamoDB::Table', { DeletionPolicy: policy, UpdateReplacePolicy: policy });
    },
  );

  it('gives the runs table its four indexes, TTL on expiresAt and a NEW_AND_OLD_IMAGES stream', () => {
    // Prepare / Act
    const { stack, template } = synth('prod');
    // Assess
    const runs = template.toJSON().Resources[logicalId(stack, stack.store.runsTable)];
    expect(runs.Properties).toMatchObject({
      GlobalSecondaryIndexes: [
        runIndex('byTenant', 'gsi1pk'),
        runIndex('byWorkflow', 'gsi2pk'),
        runIndex('byStatus', 'gsi3pk'),
        runIndex('active', 'activePk'),
      ],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
      BillingMode: 'PAY_PER_REQUEST',
    });
    expect(runs.Properties.AttributeDefinitions).toHaveLength(7);
    // The other tables have none of these.
    template.resourcePropertiesCountIs('AWS::DynamoDB::Table', { StreamSpecification: Match.anyValue() }, 1);
    template.resourcePropertiesCountIs(
      'AWS::DynamoDB::Table',
      { GlobalSecondaryIndexes: Match.anyValue() },
      1,
    );
  });

  it('outputs the name of each table', () => {
    // Prepare / Act
    const { stack, template } = synth('prod');
    // Assess
    const { definitionsTable, controlTable, runsTable } = stack.store;
    template.hasOutput('DefinitionsTableName', { Value: { Ref: logicalId(stack, definitionsTable) } });
    template.hasOutput('ControlTableName', { Value: { Ref: logicalId(stack, controlTable) } });
    template.hasOutput('RunsTableName', { Value: { Ref: logicalId(stack, runsTable) } });
    const ids = [definitionsTable, controlTable, stack.store.runsTable].map((table) =>
      logicalId(stack, table),
    );
    expect(new Set(ids).size).toBe(3);
  });
});

describe('SkeinStore', () => {
  it('honours explicit deletion protection and point-in-time recovery, and says why PITR is off', () => {
    // Prepare
    const app = testApp();
    const stack = new Stack(app, 'Store');
    // Act
    new SkeinStore(stack, 'Store', { stage: 'dev', deletionProtection: true, pointInTimeRecovery: false });
    // Assess
    Template.fromStack(stack).allResourcesProperties('AWS::DynamoDB::Table', {
      DeletionProtectionEnabled: true,
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: false },
    });
    expect(new AwsSolutionsChecks(app).validateScope(stack).violations).toEqual([]);
  });
});

describe('stageFrom', () => {
  it('defaults to dev and accepts short lowercase names', () => {
    expect(stageFrom(undefined)).toBe('dev');
    expect(stageFrom('prod')).toBe('prod');
    expect(stageFrom('pr-123')).toBe('pr-123');
  });

  it.each(['Prod', '1dev', 'my_stage', '', 'a'.repeat(21), 42])(
    'rejects %j and shows the bad value',
    (raw) => {
      expect(() => stageFrom(raw)).toThrow(`got ${JSON.stringify(raw)}`);
    },
  );
});

describe('infra/app.ts', () => {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const run = async (context: Record<string, unknown>) => {
    const outdir = await mkdtemp(join(tmpdir(), 'skein-cdk-'));
    // No bundling here: test/infra/synth.test.ts runs the real `cdk synth` with esbuild.
    const json = JSON.stringify({ 'aws:cdk:bundling-stacks': [], ...context });
    const env = { ...process.env, CDK_OUTDIR: outdir, CDK_CONTEXT_JSON: json };
    try {
      await promisify(execFile)(process.execPath, ['--import', 'tsx', 'infra/app.ts'], { cwd: root, env });
      const files = await readdir(outdir);
      const name = files.find((file) => file.endsWith('.template.json'));
      const template = name === undefined ? {} : JSON.parse(await readFile(join(outdir, name), 'utf8'));
      return { files, template };
    } finally {
      await rm(outdir, { recursive: true, force: true });
    }
  };

  it('synthesizes the stage named in the context, cdk-nag included', async () => {
    // Act
    const { files } = await run({ stage: 'qa' });
    // Assess
    expect(files).toContain('Skein-qa.template.json');
  });

  it('refuses a bad stage and shows it', async () => {
    // Act / Assess
    await expect(run({ stage: 'Bad_Stage' })).rejects.toThrow('got "Bad_Stage"');
  });

  it('reads worker pools, the alarm e-mail and CORS origins from the context', async () => {
    // Act
    const { template } = await run({
      stage: 'qa',
      pools: '[{"name":"default"},{"name":"heavy","memoryMb":2048}]',
      alarmEmail: 'ops@example.com',
      corsOrigins: 'https://a.example, https://b.example',
    });
    // Assess
    const resources = Object.values(template.Resources) as {
      Type: string;
      Properties: Record<string, unknown>;
    }[];
    const ofType = (type: string) => resources.filter((resource) => resource.Type === type);
    // two pools, the monitor, the trigger queue, the deliverer
    expect(ofType('AWS::Lambda::EventSourceMapping')).toHaveLength(5);
    expect(ofType('AWS::Lambda::Function').map((fn) => fn.Properties.MemorySize)).toContain(2048);
    expect(ofType('AWS::SNS::Subscription')[0]?.Properties).toMatchObject({ Endpoint: 'ops@example.com' });
    expect(ofType('AWS::ApiGatewayV2::Api')[0]?.Properties).toMatchObject({
      CorsConfiguration: { AllowOrigins: ['https://a.example', 'https://b.example'] },
    });
  });

  it('passes the httpAllow context to the workers as SKEIN_HTTP_ALLOW', async () => {
    // Act
    const { template } = await run({ stage: 'qa', httpAllow: 'orders.internal:80, 10.0.3.7:8443' });
    // Assess
    const workers = Object.values(
      template.Resources as Record<string, { Type: string; Properties: Record<string, never> }>,
    ).filter(
      (resource) =>
        resource.Type === 'AWS::Lambda::Function' &&
        [ENV.queueUrl, ENV.definitionsTable].every((name) =>
          Object.keys(
            (resource.Properties.Environment as unknown as { Variables: object }).Variables,
          ).includes(name),
        ),
    );
    // (the webhook deliverer gets the list too: test/infra/deliverer.test.ts)
    expect(workers).toHaveLength(1);
    expect(workers[0]?.Properties).toMatchObject({
      Environment: { Variables: { [ENV.httpAllow]: 'orders.internal:80,10.0.3.7:8443' } },
    });
  });

  it('refuses an httpAllow entry without a port and shows it', async () => {
    // Act / Assess
    await expect(run({ httpAllow: 'orders.internal' })).rejects.toThrow('"orders.internal" is not host:port');
  });

  it('refuses pools without the default pool and shows them', async () => {
    // Act / Assess
    await expect(run({ pools: '[{"name":"heavy"}]' })).rejects.toThrow('must include "default"');
  });
});

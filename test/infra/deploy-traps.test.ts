/**
 * Deploy traps that template assertions can see before a deploy does: names that survive a
 * destroy, names that collide across regions, and environments over Lambda's 4 KB.
 */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { resolvePools } from '../../infra/constructs/pools.ts';
import { SkeinStack } from '../../infra/skein-stack.ts';
import { synthStack } from './helpers.ts';

type Resources = Record<
  string,
  { Type: string; Properties?: Record<string, unknown>; DeletionPolicy?: string }
>;

/** Lambda refuses a function whose variables (names and values) take more than this. */
const LAMBDA_ENVIRONMENT_BYTES = 4096;

/** The longest value each intrinsic can resolve to, from the service limits (names of up to 80, 255, 256 characters). */
const PSEUDO: Record<string, number> = {
  'AWS::Region': 'ap-southeast-2'.length,
  'AWS::URLSuffix': 'amazonaws.com.cn'.length,
  'AWS::AccountId': 12,
  'AWS::Partition': 'aws-us-gov'.length,
};
const arn = (service: string, name: number) => `arn::${service}:::`.length + 10 + 14 + 12 + name;
const REF: Record<string, number> = {
  'AWS::SQS::Queue': 'https://sqs../'.length + 14 + 16 + 12 + 1 + 80, // the queue URL
  'AWS::DynamoDB::Table': 255,
  'AWS::SNS::Topic': arn('sns', 256),
  'AWS::Scheduler::ScheduleGroup': 64,
  'AWS::S3::Bucket': 63,
  // Skein's bus is named `skein-<stage>`, and a stage has at most 20 characters.
  'AWS::Events::EventBus': 'skein-'.length + 20,
};
const GET_ATT: Record<string, number> = {
  'AWS::SQS::Queue.QueueName': 80,
  'AWS::SQS::Queue.Arn': arn('sqs', 80),
  'AWS::IAM::Role.Arn': 'arn::iam:::role/'.length + 10 + 12 + 64,
};

/** The most characters `value` (a string or a CloudFormation intrinsic) can resolve to. */
function longest(value: unknown, resources: Resources): number {
  if (typeof value === 'string') return value.length;
  const intrinsic = value as Record<string, unknown>;
  if (typeof intrinsic.Ref === 'string') {
    const bound = PSEUDO[intrinsic.Ref] ?? REF[resources[intrinsic.Ref]?.Type ?? ''];
    if (bound === undefined) throw new Error(`no bound for ${JSON.stringify(value)}`);
    return bound;
  }
  if (Array.isArray(intrinsic['Fn::GetAtt'])) {
    const [id, attribute] = intrinsic['Fn::GetAtt'] as [string, string];
    const bound = GET_ATT[`${resources[id]?.Type}.${attribute}`];
    if (bound === undefined) throw new Error(`no bound for ${JSON.stringify(value)}`);
    return bound;
  }
  if (Array.isArray(intrinsic['Fn::Join'])) {
    const [separator, parts] = intrinsic['Fn::Join'] as [string, unknown[]];
    return (
      parts.reduce<number>((sum, part) => sum + longest(part, resources), 0) +
      separator.length * (parts.length - 1)
    );
  }
  throw new Error(`no bound for ${JSON.stringify(value)}`);
}

describe('a redeploy after destroy', () => {
  it.each(['prod', 'dev'])('meets no resource kept from before with the same name (%s)', (stage) => {
    // Prepare
    const { template } = synthStack(stage);
    // Act: every resource that outlives the stack, with the name properties it sets
    const kept = Object.entries(template.toJSON().Resources as Resources)
      .filter(([, resource]) => resource.DeletionPolicy === 'Retain')
      .map(([id, resource]) => ({
        id,
        names: Object.keys(resource.Properties ?? {}).filter((key) => /Name$/.test(key)),
      }));
    // Assess: a retained log group, table or key with a fixed name would make the next create fail
    expect(kept.filter((resource) => resource.names.length > 0)).toEqual([]);
    if (stage === 'prod') expect(kept.length).toBeGreaterThan(5);
  });

  it('finds no log group with a fixed name', () => {
    // Prepare / Act
    const { template } = synthStack('prod');
    // Assess
    const named = Object.values(template.findResources('AWS::Logs::LogGroup')).filter(
      (group) => group.Properties?.LogGroupName !== undefined,
    );
    expect(named).toEqual([]);
  });
});

describe('the same stage in two regions', () => {
  it('gives each region its own dashboard, whose names are global to the account', () => {
    // Prepare
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stacks = ['eu-west-1', 'us-east-1'].map(
      (region) =>
        new SkeinStack(app, `Skein-prod-${region}`, {
          stage: 'prod',
          env: { account: '123456789012', region },
        }),
    );
    // Act
    const templates = stacks.map((stack) => Template.fromStack(stack).toJSON().Resources as Resources);
    const dashboards = templates.map((resources) =>
      Object.values(resources)
        .filter((resource) => resource.Type === 'AWS::CloudWatch::Dashboard')
        .map((resource) => resource.Properties?.DashboardName),
    );
    // Assess
    expect(dashboards).toEqual([['Skein-prod-eu-west-1'], ['Skein-prod-us-east-1']]);
    for (const resources of templates) {
      const named = Object.values(resources).filter(
        (resource) => resource.Type.startsWith('AWS::IAM::') && resource.Properties?.RoleName !== undefined,
      );
      expect(named).toEqual([]);
    }
  });
});

describe('seventeen worker pools', () => {
  const pools = Array.from({ length: 16 }, (_, index) => ({
    name: `batch-pool-${String(index + 1).padStart(2, '0')}`,
  }));

  it('keep every function’s environment under Lambda’s 4 KB, whatever the generated names', () => {
    // Prepare
    const { template } = synthStack('prod', { pools: [{ name: 'default' }, ...pools] });
    const resources = template.toJSON().Resources as Resources;
    // Act
    const sizes = Object.entries(resources)
      .filter(([, resource]) => resource.Type === 'AWS::Lambda::Function')
      .map(([id, resource]) => {
        const environment = resource.Properties?.Environment as
          | { Variables?: Record<string, unknown> }
          | undefined;
        const variables = environment?.Variables ?? {};
        const bytes = Object.entries(variables).reduce(
          (sum, [name, value]) => sum + name.length + longest(value, resources),
          0,
        );
        return { id, bytes };
      });
    // Assess
    console.info(
      `largest environment of ${sizes.length} functions with 17 pools: ${Math.max(...sizes.map((size) => size.bytes))} bytes at most`,
    );
    expect(sizes).toHaveLength(23); // 17 workers and 6 other functions
    expect(sizes.filter((size) => size.bytes >= LAMBDA_ENVIRONMENT_BYTES)).toEqual([]);
    expect(Math.max(...sizes.map((size) => size.bytes))).toBeGreaterThan(2000); // the bound is not vacuous
  });

  it('are refused at synth, with how many fit, when their names would not leave room', () => {
    // Prepare
    const many = Array.from({ length: 30 }, (_, index) => ({
      name: `tenant-isolated-pool-number-${String(index).padStart(3, '0')}`,
    }));
    // Act
    const resolving = () => resolvePools([{ name: 'default' }, ...many]);
    // Assess
    expect(resolving).toThrow(/31 worker pools need up to \d+ bytes of SKEIN_POOL_QUEUES/);
    expect(resolving).toThrow(/use at most 1\d pools with names this long/);
  });
});

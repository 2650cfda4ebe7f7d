import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import { PAYLOAD_EXPIRY_DAYS } from '../../shared/adapters/aws/payload-expiry.ts';
import { ENV } from '../../shared/config.ts';
import { getAtt, logicalId, onlyResource, ref, type Synthesized, synthStack } from './helpers.ts';

type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown };

/** Every statement of the IAM policies attached to `fn`'s role. */
function statementsOf({ stack, template }: Synthesized, fn: IFunction): Statement[] {
  const role = logicalId(stack, fn.role as NonNullable<IFunction['role']>);
  const resources = Object.values(template.findResources('AWS::IAM::Policy'));
  return resources
    .filter((policy) =>
      (policy.Properties.Roles as unknown[]).some((r) => JSON.stringify(r) === JSON.stringify({ Ref: role })),
    )
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[]);
}

const actions = (statements: Statement[], bucketArn: unknown) =>
  statements
    .filter((statement) => JSON.stringify(statement.Resource).includes(JSON.stringify(bucketArn)))
    .flatMap((statement) => [statement.Action].flat())
    .sort();

describe('the payload bucket', () => {
  it('is encrypted by S3, closed to the public, kept when the stack goes, and refuses plain HTTP', () => {
    // Prepare
    const { stack, template } = synthStack('prod');
    // Act
    const bucket = onlyResource(template, 'AWS::S3::Bucket');
    const policy = onlyResource(template, 'AWS::S3::BucketPolicy');
    // Assess
    expect(bucket.Properties.BucketEncryption).toEqual({
      ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
    });
    expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(bucket.DeletionPolicy).toBe('Retain');
    expect(policy.Properties.Bucket).toEqual(ref(stack, stack.store.payloadBucket));
    expect(policy.Properties.PolicyDocument.Statement).toContainEqual(
      expect.objectContaining({
        Effect: 'Deny',
        Action: 's3:*',
        Principal: { AWS: '*' },
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      }),
    );
  });

  it('expires each object by its expiry tag, and untagged ones at the longest run life', () => {
    // Prepare
    const { template } = synthStack('prod');
    // Act
    const rules = onlyResource(template, 'AWS::S3::Bucket').Properties.LifecycleConfiguration.Rules;
    // Assess
    expect(rules).toEqual([
      ...PAYLOAD_EXPIRY_DAYS.map((days) => ({
        Id: `Expire${days}Days`,
        Status: 'Enabled',
        ExpirationInDays: days,
        TagFilters: [{ Key: 'skein-expiry', Value: `d${days}` }],
      })),
      {
        Id: 'ExpireUntagged',
        Status: 'Enabled',
        ExpirationInDays: 4020,
        AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
      },
    ]);
    // The longest class outlives the longest run item: a year active plus 3,650 days kept, plus margin.
    expect(PAYLOAD_EXPIRY_DAYS.at(-1)).toBeGreaterThanOrEqual(365 + 3650 + 3);
  });

  it('lets the api, workers, sweeper and trigger get and put objects, never delete, and the monitor nothing', () => {
    // Prepare
    const synthesized = synthStack('prod');
    const { stack } = synthesized;
    const bucketArn = getAtt(stack, stack.store.payloadBucket);
    const engineFunctions = [
      stack.api.handler,
      stack.engine.defaultPool.worker,
      stack.engine.sweeper,
      stack.engine.trigger,
    ];
    // Act
    const granted = engineFunctions.map((fn) => actions(statementsOf(synthesized, fn), bucketArn));
    const monitor = actions(statementsOf(synthesized, stack.monitor.monitor), bucketArn);
    const authorizer = actions(statementsOf(synthesized, stack.api.authorizer), bucketArn);
    // Assess
    for (const list of granted) {
      expect(list).toEqual(expect.arrayContaining(['s3:GetObject*', 's3:PutObject', 's3:PutObjectTagging']));
      expect(list.filter((action) => action.includes('Delete'))).toEqual([]);
    }
    expect([monitor, authorizer]).toEqual([[], []]);
  });

  it('is named in every engine function’s environment, with the threshold only when set', () => {
    // Prepare
    const plain = synthStack('prod');
    const tuned = synthStack('prod', { payloadThresholdBytes: 16_384 });
    const variables = (synth: typeof plain, fn: IFunction) =>
      synth.template.toJSON().Resources[logicalId(synth.stack, fn)].Properties.Environment.Variables;
    // Act
    const worker = variables(plain, plain.stack.engine.defaultPool.worker);
    const tunedApi = variables(tuned, tuned.stack.api.handler);
    // Assess
    expect(worker[ENV.payloadBucket]).toEqual(ref(plain.stack, plain.stack.store.payloadBucket));
    expect(worker[ENV.payloadThresholdBytes]).toBeUndefined();
    expect(tunedApi[ENV.payloadThresholdBytes]).toBe('16384');
    expect(() => synthStack('prod', { payloadThresholdBytes: 500_000 })).toThrow(ENV.payloadThresholdBytes);
  });
});

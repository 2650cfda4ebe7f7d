import type { CfnElement } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { logicalId, synthStack } from './helpers.ts';

/** Every `Validations.of(...).acknowledge` in a construct tree: rule id (without its prefix) → reasons. */
function acknowledgements(root: IConstruct): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const construct of root.node.findAll()) {
    for (const entry of construct.node.metadata) {
      if (entry.type !== 'aws:cdk:acknowledged-rules') continue;
      for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
        const rule = id.replace(/^Annotation::/, '');
        found.set(rule, [...(found.get(rule) ?? []), reason]);
      }
    }
  }
  return found;
}

describe('cdk-nag AWS Solutions checks', () => {
  it.each([
    ['dev', {}],
    ['prod', {}],
    [
      'prod',
      {
        pools: [{ name: 'default' }, { name: 'gpu-heavy' }],
        alarmEmail: 'ops@example.com',
        corsOrigins: ['https://a.example'],
      },
    ],
  ])('find nothing unresolved in stage %s with %j', (stage, props) => {
    // Prepare
    const { app, stack } = synthStack(stage, props);
    // Act
    const report = new AwsSolutionsChecks(app).validateScope(stack);
    // Assess
    expect(report.violations.map((violation) => violation.ruleName)).toEqual([]);
    expect(report.success).toBe(true);
  });

  it('are acknowledged only for the known, explained exceptions', () => {
    // Prepare
    const { stack } = synthStack('prod');
    // Act
    const found = acknowledgements(stack);
    // Assess
    const runsTable = logicalId(stack, stack.store.runsTable);
    const groupOf = (construct: IConstruct) =>
      stack.resolve((construct.node.findChild('Group') as CfnElement).logicalId);
    const timerGroup = groupOf(stack.engine.timer);
    const triggerGroup = groupOf(stack.engine.triggers);
    const payloads = logicalId(stack, stack.store.payloadBucket);
    expect([...found.keys()].sort()).toEqual([
      'AwsSolutions-APIG4',
      'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
      'AwsSolutions-IAM5[Action::s3:Abort*]',
      'AwsSolutions-IAM5[Action::s3:GetBucket*]',
      'AwsSolutions-IAM5[Action::s3:GetObject*]',
      'AwsSolutions-IAM5[Action::s3:List*]',
      'AwsSolutions-IAM5[Resource::*]',
      `AwsSolutions-IAM5[Resource::<${payloads}.Arn>/*]`,
      `AwsSolutions-IAM5[Resource::<${runsTable}.Arn>/index/*]`,
      `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/<${timerGroup}>/*]`,
      `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/<${triggerGroup}>/*]`,
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ssm:<AWS::Region>:<AWS::AccountId>:parameter/skein/prod/*]',
      'AwsSolutions-S1',
      'AwsSolutions-SQS3',
    ]);
    for (const reasons of found.values()) {
      for (const reason of reasons) expect(reason.length).toBeGreaterThan(40);
    }
  });
});

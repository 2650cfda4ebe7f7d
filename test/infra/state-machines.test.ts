import { Match } from 'aws-cdk-lib/assertions';
import type { IRole } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { EXECUTION_STATUS_EVENT } from '../../infra/constructs/state-machines.ts';
import { ENV } from '../../shared/config.ts';
import { getAtt, logicalId, synthStack } from './helpers.ts';

const ORDERS = 'arn:aws:states:eu-west-1:123456789012:stateMachine:orders';
const BILLING_PROD = 'arn:aws:states:eu-west-1:123456789012:stateMachine:billing:prod';
const withMachines = () => synthStack('prod', { stateMachineAllow: [ORDERS, BILLING_PROD] });

/** Every IAM statement of the template whose actions include one starting with `prefix`. */
function statementsWith(template: ReturnType<typeof synthStack>['template'], prefix: string) {
  return Object.values(template.findResources('AWS::IAM::Policy')).flatMap((policy) =>
    (policy.Properties.PolicyDocument.Statement as { Action: string | string[] }[]).filter((statement) =>
      [statement.Action].flat().some((action) => action.startsWith(prefix)),
    ),
  );
}

describe('stepfunctions nodes', () => {
  it('have no grant, no rule and no handler without -c stateMachineAllow', () => {
    // Prepare / Act
    const { stack, template } = synthStack('prod');

    // Assess
    expect(stack.stateMachines).toBeUndefined();
    expect(statementsWith(template, 'states:')).toEqual([]);
    template.resourcePropertiesCountIs(
      'AWS::Events::Rule',
      { EventPattern: { source: [EXECUTION_STATUS_EVENT.source] } },
      0,
    );
  });

  it('let the workers start exactly the allowed state machines and reach only their executions', () => {
    // Prepare / Act
    const { stack, template } = withMachines();
    const worker = stack.engine.defaultPool.worker;
    const variables = template.toJSON().Resources[logicalId(stack, worker)].Properties.Environment.Variables;

    // Assess
    const executions = [
      'arn:aws:states:eu-west-1:123456789012:execution:orders:*',
      'arn:aws:states:eu-west-1:123456789012:execution:billing:*',
    ];
    const statements = statementsWith(template, 'states:');
    expect(new Set(statements.map((statement) => JSON.stringify(statement)))).toEqual(
      new Set(
        [
          { Action: 'states:StartExecution', Effect: 'Allow', Resource: [ORDERS, BILLING_PROD] },
          {
            Action: ['states:DescribeExecution', 'states:StopExecution'],
            Effect: 'Allow',
            Resource: executions,
          },
          { Action: 'states:DescribeExecution', Effect: 'Allow', Resource: executions },
          { Action: 'states:StopExecution', Effect: 'Allow', Resource: executions },
        ].map((statement) => JSON.stringify(statement)),
      ),
    );
    expect(statements.filter((statement) => statement.Action === 'states:StartExecution')).toHaveLength(1);
    const policyOf = (fn: IFunction) =>
      Object.values(template.findResources('AWS::IAM::Policy')).find((policy) =>
        (policy.Properties.Roles as { Ref: string }[]).some(
          (role) => role.Ref === logicalId(stack, fn.role as IRole),
        ),
      );
    const actionsOf = (fn: IFunction) =>
      ((policyOf(fn)?.Properties.PolicyDocument.Statement ?? []) as { Action: string | string[] }[])
        .flatMap((statement) => [statement.Action].flat())
        .filter((action) => action.startsWith('states:'));
    expect(actionsOf(worker)).toEqual([
      'states:StartExecution',
      'states:DescribeExecution',
      'states:StopExecution',
    ]);
    for (const stopper of [stack.api.handler, stack.engine.sweeper, stack.engine.trigger]) {
      expect(actionsOf(stopper)).toEqual(['states:StopExecution']);
    }
    expect(actionsOf(stack.stateMachines?.handler as IFunction)).toEqual(['states:DescribeExecution']);
    expect(variables).toMatchObject({ [ENV.stateMachineAllow]: `${ORDERS},${BILLING_PROD}` });
  });

  it('send the terminal status changes of the allowed state machines to the handler, retried for a day', () => {
    // Prepare / Act
    const { stack, template } = withMachines();
    const machines = stack.stateMachines;
    if (machines === undefined) throw new Error('no stepfunctions construct');

    // Assess
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.states'],
        'detail-type': ['Step Functions Execution Status Change'],
        detail: {
          stateMachineArn: [ORDERS, 'arn:aws:states:eu-west-1:123456789012:stateMachine:billing'],
          status: ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'],
        },
      },
      State: 'ENABLED',
      Targets: [
        Match.objectLike({
          Arn: getAtt(stack, machines.handler),
          RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86_400 },
          DeadLetterConfig: { Arn: getAtt(stack, machines.deadLetterQueue) },
        }),
      ],
    });
    const handler = template.toJSON().Resources[logicalId(stack, machines.handler)].Properties;
    expect(handler.Environment.Variables).toMatchObject({
      [ENV.stateMachineAllow]: `${ORDERS},${BILLING_PROD}`,
    });
    expect(Object.keys(handler.Environment.Variables)).toContain(ENV.runsTable);
  });

  it('alarm when the dead-letter queue holds an event and when the handler fails', () => {
    // Prepare / Act
    const { template } = withMachines();

    // Assess
    const names = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map(
      (alarm) => alarm.Properties.AlarmName as string,
    );
    expect(names).toEqual(
      expect.arrayContaining([
        'Skein-prod-StateMachineEventsDeadLetters',
        'Skein-prod-StateMachineEventsErrors',
      ]),
    );
  });

  it('refuse an entry that is not a state machine ARN', () => {
    // Act
    const synth = () => synthStack('dev', { stateMachineAllow: ['orders'] });

    // Assess
    expect(synth).toThrow('stateMachineAllow entries are state machine ARNs');
  });

  it('keep cdk-nag clean', () => {
    // Prepare
    const { app, stack } = withMachines();

    // Act
    const report = new AwsSolutionsChecks(app).validateScope(stack);

    // Assess
    expect(
      report.violations.map(
        (violation) => `${violation.ruleName} ${JSON.stringify(violation.violatingResources)}`,
      ),
    ).toEqual([]);
    expect(report.success).toBe(true);
  });
});

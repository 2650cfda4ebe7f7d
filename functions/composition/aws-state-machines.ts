/**
 * Step Functions for `stepfunctions` nodes: the workers start executions through it, the
 * status-change handler reads an execution whose event left its output out. Built once per cold
 * start; only these two bundles carry the SFN client.
 */
import { SFNClient } from '@aws-sdk/client-sfn';
import { SfnStateMachines } from '../../shared/adapters/aws/sfn-state-machines.ts';
import { stateMachineAllowFrom } from '../../shared/config-executors.ts';
import { once, tracer } from './aws-common.ts';

/** SKEIN_STATE_MACHINE_ALLOW (CDK context `stateMachineAllow`): the state machines nodes may start. */
export const stateMachines = once(
  () =>
    new SfnStateMachines({
      client: tracer.captureAWSv3Client(new SFNClient({})),
      allow: stateMachineAllowFrom(),
    }),
);

import { createStateMachineEventHandler } from '../shared/handlers/state-machine-events.ts';
import { engine, logger } from './composition/aws-engine.ts';
import { stateMachines } from './composition/aws-state-machines.ts';

/**
 * EventBridge rule target (default bus, source `aws.states`, "Step Functions Execution Status
 * Change" of the allow-listed state machines, terminal statuses) → completes the `stepfunctions`
 * node that waits for the execution. Deployed only with `-c stateMachineAllow`.
 */
export const handler = createStateMachineEventHandler({
  engine: engine(),
  machines: stateMachines(),
  log: (level, message, details) => logger[level](message, { ...details }),
});

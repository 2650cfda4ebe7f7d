import { createSweeperHandler, type SweeperContext } from '../shared/handlers/sweeper.ts';
import { engine, logger } from './composition/aws-engine.ts';

const sweep = createSweeperHandler({ engine: engine() });

/** EventBridge schedule (every minute) → the sweeper; its report is logged. */
export const handler = async (event: unknown, context?: SweeperContext) => {
  // With the context, the sweep's budget fits the invocation's remaining time.
  const report = await sweep(event, context);
  logger.info('sweep', { report });
  return report;
};

/** The sandbox's hosts run from files next to this bundle; exported so the synth test can run them. */
export { sandbox } from './composition/aws-engine.ts';

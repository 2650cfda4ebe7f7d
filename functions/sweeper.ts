import { createSweeperHandler } from '../shared/handlers/sweeper.ts';
import { engine, logger } from './composition/aws-engine.ts';

const sweep = createSweeperHandler({ engine: engine() });

/** EventBridge schedule (every minute) → the sweeper; its report is logged. */
export const handler = async () => {
  const report = await sweep();
  logger.info('sweep', { report });
  return report;
};

/** The sandbox's hosts run from files next to this bundle; exported so the synth test can run them. */
export { sandbox } from './composition/aws-engine.ts';

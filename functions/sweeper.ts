import { createSweeperHandler } from '../shared/handlers/sweeper.ts';
import { engine, logger } from './composition/aws.ts';

const sweep = createSweeperHandler({ engine: engine() });

/** EventBridge schedule (every minute) → the sweeper; its report is logged. */
export const handler = async () => {
  const report = await sweep();
  logger.info('sweep', { report });
  return report;
};

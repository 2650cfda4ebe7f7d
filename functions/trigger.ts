import { createTriggerHandler } from '../shared/handlers/trigger.ts';
import { engine, logError } from './composition/aws-engine.ts';

/** EventBridge rule target: a `skein.start-run` event → a new run. */
export const handler = createTriggerHandler({ engine: engine(), log: logError });

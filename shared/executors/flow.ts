import { ExecutorRegistry } from '../ports/executors.ts';
import { CallbackExecutor } from './callback.ts';
import { ConditionExecutor } from './condition.ts';
import { MapExecutor } from './map.ts';
import { WaitExecutor } from './wait.ts';
import { WorkflowExecutor } from './workflow.ts';

/**
 * The kinds every engine needs, also one that never runs a node (the api, sweeper and trigger on
 * AWS): `condition` declares how its edges route, which the sweeper, a retry and a concurrency
 * promotion read to know what a finished condition passed on; `wait`, `callback` and `workflow`
 * (a child run) suspend, and `map` (items) spawns. Pure: no client, no
 * sandbox, so they cost those bundles nothing to speak of.
 * @example new RunEngine({ ...ports, executors: flowExecutors() })
 */
export function flowExecutors(): ExecutorRegistry {
  return new ExecutorRegistry()
    .register(new ConditionExecutor())
    .register(new WaitExecutor())
    .register(new CallbackExecutor())
    .register(new WorkflowExecutor())
    .register(new MapExecutor());
}

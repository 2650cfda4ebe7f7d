/**
 * The node types the workers of each deployment run: `local` for `skein run` and `npm start`,
 * `aws` for the Lambda workers (`event` needs EventBridge, `stepfunctions` Step Functions: not
 * run locally). Like `lambda` and `ai`, `stepfunctions` is registered on AWS whatever its
 * allow-list: with `-c stateMachineAllow` empty, the deployment has no IAM grant and no event rule,
 * and a node fails at once with STEPFUNCTIONS_NOT_ALLOWED. Publishing and `skein validate` warn
 * about a definition using another type (it would fail at run time with NODE_TYPE_UNAVAILABLE);
 * `test/unit/executors/registry.test.ts` holds these lists to the registries the compositions
 * build. No imports: the CDK app and every bundle may read it.
 */
export const NODE_TYPES_RUN = {
  local: ['ai', 'callback', 'condition', 'http', 'lambda', 'map', 'noop', 'script', 'wait', 'workflow'],
  aws: [
    'ai',
    'callback',
    'condition',
    'event',
    'http',
    'lambda',
    'map',
    'noop',
    'script',
    'stepfunctions',
    'wait',
    'workflow',
  ],
} as const satisfies Record<string, readonly string[]>;

/** Where a definition is meant to run. */
export type Deployment = keyof typeof NODE_TYPES_RUN;
export const DEPLOYMENTS = Object.keys(NODE_TYPES_RUN) as Deployment[];

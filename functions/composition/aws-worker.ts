/**
 * The worker's composition: the engine of `aws-engine.ts` with every executor (http, script,
 * wait, noop, `event` on EventBridge, `stepfunctions` on Step Functions), and the worker's own pool queue for hand-backs. Only
 * the worker bundle carries undici, the script executor and the EventBridge client.
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SSMClient } from '@aws-sdk/client-ssm';
import { BedrockModels } from '../../shared/adapters/aws/bedrock-models.ts';
import { EventBridgePublisher } from '../../shared/adapters/aws/eventbridge-publisher.ts';
import { LambdaInvoker } from '../../shared/adapters/aws/lambda-invoker.ts';
import { SqsQueue } from '../../shared/adapters/aws/sqs-queue.ts';
import { SsmSecrets } from '../../shared/adapters/aws/ssm-secrets.ts';
import { METRICS } from '../../shared/config.ts';
import { aiModelsFrom, lambdaAllowFrom, secretsPath } from '../../shared/config-executors.ts';
import { defaultExecutors } from '../../shared/executors/registry.ts';
import { systemClock } from '../../shared/ports/clock.ts';
import { config, once, tracer } from './aws-common.ts';
import { stateMachines } from './aws-state-machines.ts';

export { logger } from './aws-common.ts';

import { buildEngine, checkTimer, sandbox, sqs } from './aws-engine.ts';

export { sandbox } from './aws-engine.ts';

const metrics = once(
  () =>
    new Metrics({
      namespace: METRICS.namespace,
      serviceName: 'skein',
      defaultDimensions: { stage: config.stage },
    }),
);

/** Counts a delivery event (`BadMessage`, `PutBack`, `DeliveryError`) as a CloudWatch metric, at once (EMF). */
export const countMetric = (name: string): void => {
  metrics().singleMetric().addMetric(name, MetricUnit.Count, 1);
};

const bedrock = once(() => tracer.captureAWSv3Client(new BedrockRuntimeClient({})));
const lambda = once(() => tracer.captureAWSv3Client(new LambdaClient({})));
const ssm = once(() => tracer.captureAWSv3Client(new SSMClient({})));

const eventBridge = once(() => tracer.captureAWSv3Client(new EventBridgeClient({})));

/** The engine with every executor: `SKEIN_HTTP_ALLOW` and `SKEIN_EVENT_BUS_NAME` (default bus) read here. */
export const engine = once(() =>
  buildEngine(
    defaultExecutors({
      // SKEIN_HTTP_ALLOW (CDK context `httpAllow`): host:port entries, none by default.
      http: {
        allow: config.httpAllow,
        // `$secret('name')`: the SSM parameter /skein/<stage>/<tenant>/<name>, kept 5 minutes.
        secrets: new SsmSecrets({ client: ssm(), prefix: secretsPath(config.stage), clock: systemClock }),
      },
      event: {
        publisher: new EventBridgePublisher({ client: eventBridge(), eventBusName: config.eventBusName }),
      },
      script: { sandbox: sandbox() },
      // SKEIN_LAMBDA_ALLOW (CDK context `lambdaAllow`): the functions lambda nodes may invoke.
      lambda: { invoker: new LambdaInvoker({ client: lambda(), allow: lambdaAllowFrom() }) },
      // SKEIN_STATE_MACHINE_ALLOW (CDK context `stateMachineAllow`): what stepfunctions nodes may start.
      stepFunctions: { machines: stateMachines() },
      // SKEIN_AI_MODELS (CDK context `aiModels`): the Bedrock models ai nodes may use; none: off.
      ...(aiModelsFrom().length > 0 && {
        ai: { models: new BedrockModels({ client: bedrock(), allow: aiModelsFrom() }) },
      }),
    }),
  ),
);

/** The worker's own pool queue, for hand-backs; checks the timer's variables too, so a worker fails at cold start. */
export const workerQueue = once(() => {
  checkTimer();
  return new SqsQueue({ client: sqs(), queueUrl: config.queueUrl });
});

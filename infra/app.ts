/**
 * The CDK app: the only place that reads CDK context. `npx cdk synth -c stage=prod`.
 *
 * Context: `stage` (default `dev`), `pools` (JSON array of worker pools, e.g.
 * `-c pools='[{"name":"default"},{"name":"heavy","memoryMb":4096,"timeoutSeconds":900}]'`),
 * `alarmEmail` (subscribed to the alarm topic), `corsOrigins` (comma-separated origins),
 * `httpAllow` (comma-separated `host:port` destinations http nodes may call although private,
 * e.g. `-c httpAllow=10.0.3.7:8443,orders.internal:80`; none by default), `tenantMaxActiveRuns`
 * (the tenant quota: active runs per tenant at most; none by default), `nodeEvents` (`failures`
 * by default, `all` or `none`: which node events the monitor publishes), `lambdaAllow`
 * (comma-separated function names or ARNs `lambda` nodes may invoke; none by default),
 * `stateMachineAllow` (comma-separated state machine ARNs `stepfunctions` nodes may start; none by
 * default: no grant, no status-change rule, no handler), `aiModels`
 * (comma-separated Bedrock model ids `ai` nodes may use, the first the default; none: ai is off),
 * `payloadThresholdBytes` (values whose JSON text is longer go to the payload bucket; 65536).
 *
 * cdk-nag's AWS Solutions pack runs as a policy validation plugin on every synth; a finding
 * fails the synth unless it is fixed or acknowledged with `Validations.of(construct).acknowledge`
 * and a written reason.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ENV } from '../shared/config.ts';
import { commaList } from '../shared/config-executors.ts';
import { payloadThresholdFrom } from '../shared/config-payloads.ts';
import { formatHttpAllowEntry, parseHttpAllow } from '../shared/executors/http-allow.ts';
import { type NodeEventLevel, nodeEventLevelOf } from '../shared/monitor/events.ts';
import { poolsFrom } from './constructs/pools.ts';
import { SkeinStack, stageFrom } from './skein-stack.ts';

const app = new App();
const stage = stageFrom(app.node.tryGetContext('stage'));
const pools = poolsFrom(app.node.tryGetContext('pools'));
const alarmEmail = optionalString(app.node.tryGetContext('alarmEmail'), 'alarmEmail');
const corsRaw = optionalString(app.node.tryGetContext('corsOrigins'), 'corsOrigins');
const corsOrigins = corsRaw === undefined ? undefined : commaList(corsRaw);
const httpAllow = httpAllowFrom(optionalString(app.node.tryGetContext('httpAllow'), 'httpAllow'));
const lambdaAllow = commaList(optionalString(app.node.tryGetContext('lambdaAllow'), 'lambdaAllow'));
const stateMachineAllow = commaList(
  optionalString(app.node.tryGetContext('stateMachineAllow'), 'stateMachineAllow'),
);
const aiModels = commaList(optionalString(app.node.tryGetContext('aiModels'), 'aiModels'));
const nodeEvents = nodeEventsFrom(optionalString(app.node.tryGetContext('nodeEvents'), 'nodeEvents'));
const quota: unknown = app.node.tryGetContext('tenantMaxActiveRuns');
const tenantMaxActiveRuns =
  typeof quota === 'number'
    ? quota
    : (() => {
        const raw = optionalString(quota, 'tenantMaxActiveRuns');
        return raw === undefined ? undefined : Number(raw);
      })();

const payloadThresholdBytes = payloadThresholdOf(app.node.tryGetContext('payloadThresholdBytes'));

new SkeinStack(app, `Skein-${stage}`, {
  stage,
  tags: { project: 'skein', stage },
  ...(pools !== undefined && { pools }),
  ...(alarmEmail !== undefined && { alarmEmail }),
  ...(corsOrigins !== undefined && { corsOrigins }),
  ...(httpAllow.length > 0 && { httpAllow }),
  ...(lambdaAllow.length > 0 && { lambdaAllow }),
  ...(stateMachineAllow.length > 0 && { stateMachineAllow }),
  ...(aiModels.length > 0 && { aiModels }),
  ...(tenantMaxActiveRuns !== undefined && { tenantMaxActiveRuns }),
  ...(nodeEvents !== undefined && { nodeEvents }),
  ...(payloadThresholdBytes !== undefined && { payloadThresholdBytes }),
});

Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

/** `-c httpAllow=a:1,b:2` as entries; a malformed one fails the synth showing it. */
function httpAllowFrom(raw: string | undefined): string[] {
  try {
    return parseHttpAllow(raw === undefined ? [] : [raw]).map(formatHttpAllowEntry);
  } catch (error) {
    throw new Error(`context "httpAllow": ${(error as Error).message}`);
  }
}

/** `-c nodeEvents=all`; a value other than none, failures or all fails the synth naming them. */
function nodeEventsFrom(raw: string | undefined): NodeEventLevel | undefined {
  try {
    return raw === undefined ? undefined : nodeEventLevelOf(raw);
  } catch (error) {
    throw new Error(`context "nodeEvents": ${(error as Error).message}`);
  }
}

/** `-c payloadThresholdBytes=16384`, checked as the functions check `SKEIN_PAYLOAD_THRESHOLD_BYTES`. */
function payloadThresholdOf(raw: unknown): number | undefined {
  if (raw === undefined || raw === null || raw === '') return undefined;
  try {
    return payloadThresholdFrom({ [ENV.payloadThresholdBytes]: String(raw) });
  } catch (error) {
    throw new Error(`context "payloadThresholdBytes": ${(error as Error).message}`);
  }
}

function optionalString(raw: unknown, name: string): string | undefined {
  if (raw === undefined || raw === null || raw === '') return undefined;
  if (typeof raw !== 'string')
    throw new Error(`context "${name}" must be a string, got ${JSON.stringify(raw)}`);
  return raw;
}

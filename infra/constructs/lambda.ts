import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CfnElement, type Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import {
  ApplicationLogLevel,
  Architecture,
  type IFunction,
  LoggingFormat,
  Runtime,
  SystemLogLevel,
  Tracing,
} from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { HANDLER_ENTRIES, METRICS, SANDBOX_ENTRIES, type SandboxLane } from '../../shared/config.ts';
import { UI_ENTRY, UI_STATIC, UI_TARGET } from '../../ui/build.ts';

/** The repository root: entries, `package-lock.json` and `node_modules` are found from here. */
export const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Every function runs on the newest Node.js runtime the CDK knows (cdk-nag `AwsSolutions-L1`
 * asks for the latest of the family), on Graviton (ARM64: cheaper per GB-second).
 */
export const RUNTIME = Runtime.NODEJS_24_X;
/** The esbuild target matching {@link RUNTIME}. */
export const BUNDLE_TARGET = 'node24';

/**
 * Defines `require`, `__filename` and `__dirname` inside the ESM bundle for CommonJS
 * dependencies that use them: esbuild turns their `require` calls into a shim that throws in
 * ESM output, and wasmoon finds its `glue.wasm` through `__filename`.
 */
export const ESM_BANNER =
  "import { createRequire } from 'module'; const require = createRequire(import.meta.url); " +
  "import { fileURLToPath as __skeinPath } from 'url'; import { dirname as __skeinDir } from 'path'; " +
  'const __filename = __skeinPath(import.meta.url); const __dirname = __skeinDir(__filename);';

/** One of the Lambda entry points named in `HANDLER_ENTRIES`. */
export type HandlerName = keyof typeof HANDLER_ENTRIES;

export interface SkeinFunctionProps {
  /** Which entry point of `functions/` to bundle; also names the Powertools service `skein-<handler>`. */
  readonly handler: HandlerName;
  /** Stage the function belongs to; `dev` log groups are deleted with the stack, others are kept. */
  readonly stage: string;
  /** Shown in the console. */
  readonly description: string;
  /** Memory in MB (CPU scales with it). */
  readonly memoryMb: number;
  /** Longest invocation. */
  readonly timeout: Duration;
  /** Environment variables on top of `SKEIN_STAGE` and the Powertools settings. */
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * How long the function's logs are kept.
   * @default one week for `dev`, three months otherwise
   */
  readonly logRetention?: RetentionDays;
  /**
   * Files of npm packages to copy next to the bundle, as `package/path` specifiers resolved from
   * the project root (WebAssembly binaries that a package loads from its own directory).
   * @default none
   */
  readonly copyFiles?: readonly string[];
  /**
   * Lanes of the sandbox whose host entry is bundled next to `index.mjs` (as `SANDBOX_ENTRIES`
   * names it), for functions that evaluate expressions or run scripts: the sandbox starts its
   * child processes and worker threads from those files.
   * @default none
   */
  readonly sandbox?: readonly SandboxLane[];
  /**
   * Invoked about once per node (the workers): X-Ray active tracing only when `traced`, and
   * Lambda's platform log lines (START, END, REPORT: some 300 bytes an invocation) only at WARN,
   * in Lambda's JSON log format. Duration, errors and throttles stay in Lambda's own metrics.
   * @default false: traced, platform lines at INFO
   */
  readonly perNode?: { readonly traced: boolean };
  /**
   * Bundle the web UI next to `index.mjs` (`ui/app.js`, `ui/index.html`, `ui/app.css`), for the
   * api function, which serves it at `/`.
   * @default false
   */
  readonly ui?: boolean;
}

/** The log retention of a stage when none is given. */
export function defaultLogRetention(stage: string): RetentionDays {
  return stage === 'dev' ? RetentionDays.ONE_WEEK : RetentionDays.THREE_MONTHS;
}

/** Removal policy of stage-owned data (tables, logs, keys): `dev` is disposable, others are kept. */
export function removalPolicyOf(stage: string): RemovalPolicy {
  return stage === 'dev' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;
}

const requireFromRoot = createRequire(join(PROJECT_ROOT, 'package.json'));

/**
 * Creates one Skein Lambda function: the `functions/` entry bundled by local esbuild as one
 * minified ESM file (`index.mjs`, AWS SDK included so the version is the tested one), ARM64,
 * X-Ray active tracing (but on per-node functions, see `perNode`), its own log group with a retention, and its own role that may write only
 * to that log group (instead of the AWS managed `AWSLambdaBasicExecutionRole`, whose logs
 * permissions cover every log group).
 *
 * Source maps: `index.mjs.map` ships next to the bundle, without the sources' text (a fifth of
 * the size), but Node does not read it unless asked: `--enable-source-maps` made every cold
 * start's import 25-35% slower (the six 2 MB bundles of issue 9 on Node 20: 130-160 ms without,
 * 165-220 ms with it) and every stack trace slower to print. To read stack traces with their TypeScript lines, set
 * `NODE_OPTIONS=--enable-source-maps` on the function while debugging.
 *
 * Environment: `SKEIN_STAGE`, `POWERTOOLS_SERVICE_NAME` (`skein-<handler>`),
 * `POWERTOOLS_METRICS_NAMESPACE` (`Skein`), `POWERTOOLS_LOG_LEVEL`, plus `props.environment`.
 *
 * @example
 * const fn = skeinFunction(this, 'Sweeper', {
 *   handler: 'sweeper', stage, description: 'Recovers stuck runs', memoryMb: 512, timeout: Duration.minutes(1),
 * });
 */
export function skeinFunction(scope: Construct, id: string, props: SkeinFunctionProps): NodejsFunction {
  const logGroup = new LogGroup(scope, `${id}Logs`, {
    retention: props.logRetention ?? defaultLogRetention(props.stage),
    removalPolicy: removalPolicyOf(props.stage),
  });
  const role = new Role(scope, `${id}Role`, {
    assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
    description: `Skein ${props.handler} function (${props.stage})`,
  });
  logGroup.grantWrite(role);
  const copies = (props.copyFiles ?? []).map((spec) => relative(PROJECT_ROOT, requireFromRoot.resolve(spec)));
  const lanes = props.sandbox ?? [];
  const traced = props.perNode?.traced ?? true;
  const fn = new NodejsFunction(scope, id, {
    entry: join(PROJECT_ROOT, HANDLER_ENTRIES[props.handler]),
    handler: 'handler',
    projectRoot: PROJECT_ROOT,
    depsLockFilePath: join(PROJECT_ROOT, 'package-lock.json'),
    runtime: RUNTIME,
    architecture: Architecture.ARM_64,
    description: props.description,
    memorySize: props.memoryMb,
    timeout: props.timeout,
    tracing: traced ? Tracing.ACTIVE : Tracing.DISABLED,
    ...(props.perNode !== undefined && {
      loggingFormat: LoggingFormat.JSON,
      applicationLogLevelV2: ApplicationLogLevel.INFO,
      systemLogLevelV2: SystemLogLevel.WARN,
    }),
    logGroup,
    role,
    environment: {
      SKEIN_STAGE: props.stage,
      POWERTOOLS_SERVICE_NAME: `skein-${props.handler}`,
      POWERTOOLS_METRICS_NAMESPACE: METRICS.namespace,
      POWERTOOLS_LOG_LEVEL: 'INFO',
      // Powertools' tracer would record subsegments without a trace to put them in.
      ...(!traced && { POWERTOOLS_TRACE_ENABLED: 'false' }),
      ...props.environment,
    },
    bundling: {
      format: OutputFormat.ESM,
      minify: true,
      sourceMap: true,
      sourcesContent: false,
      target: BUNDLE_TARGET,
      mainFields: ['module', 'main'],
      banner: ESM_BANNER,
      bundleAwsSDK: true,
      forceDockerBundling: false,
      ...((copies.length > 0 || lanes.length > 0 || props.ui) && {
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          afterBundling: (inputDir: string, outputDir: string) => [
            ...copies.map((file) => `cp "${join(inputDir, file)}" "${outputDir}"`),
            ...lanes.map((lane) => bundleSandboxEntry(lane, inputDir, outputDir)),
            ...(props.ui ? bundleUi(inputDir, outputDir) : []),
          ],
        },
      }),
    },
  });
  Validations.of(role).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason:
      'X-Ray PutTraceSegments/PutTelemetryRecords (active tracing) support no resource-level ' +
      'permissions; on the monitor it also covers dynamodb:ListStreams, which has none either.',
  });
  return fn;
}

/**
 * The command that bundles a sandbox lane's host entry with the same esbuild, target, format and
 * banner as the function itself, into the file the sandbox looks for next to `index.mjs`.
 */
export function bundleSandboxEntry(lane: SandboxLane, inputDir: string, outputDir: string): string {
  const { source, bundle } = SANDBOX_ENTRIES[lane];
  return [
    shellQuote(join(inputDir, 'node_modules', '.bin', 'esbuild')),
    shellQuote(join(inputDir, source)),
    '--bundle',
    '--platform=node',
    '--format=esm',
    `--target=${BUNDLE_TARGET}`,
    '--main-fields=module,main',
    '--minify',
    '--sourcemap',
    '--sources-content=false',
    '--log-level=warning',
    shellQuote(`--banner:js=${ESM_BANNER}`),
    shellQuote(`--outfile=${join(outputDir, bundle)}`),
  ].join(' ');
}

/** The commands that build the web UI into `ui/` beside the bundle, as `npm start` builds it in memory. */
export function bundleUi(inputDir: string, outputDir: string): string[] {
  const build = [
    shellQuote(join(inputDir, 'node_modules', '.bin', 'esbuild')),
    shellQuote(join(inputDir, UI_ENTRY)),
    '--bundle',
    '--format=esm',
    `--target=${UI_TARGET}`,
    '--minify',
    '--legal-comments=none',
    '--log-level=warning',
    shellQuote(`--outfile=${join(outputDir, 'ui', 'app.js')}`),
  ].join(' ');
  const copy = `cp ${UI_STATIC.map((file) => shellQuote(join(inputDir, file))).join(' ')} ${shellQuote(join(outputDir, 'ui'))}`;
  return [build, copy];
}

/** One shell word, whatever it holds (the banner has quotes and semicolons). */
function shellQuote(word: string): string {
  return `'${word.replaceAll("'", "'\\''")}'`;
}

/**
 * Acknowledges the `<table>/index/*` resource that `grant*Data` adds for a table with global
 * secondary indexes: queries run on every index of the runs table, and each index ARN is only
 * known by name, so the wildcard covers exactly the table's own indexes.
 */
export function acknowledgeIndexAccess(fn: IFunction, table: ITable): void {
  const role = fn.role;
  const cfnTable = table.node.defaultChild;
  if (role === undefined || !CfnElement.isCfnElement(cfnTable)) return;
  const logicalId = Stack.of(table).resolve(cfnTable.logicalId);
  Validations.of(role).acknowledge({
    id: `AwsSolutions-IAM5[Resource::<${logicalId}.Arn>/index/*]`,
    reason: `Queries on the indexes of ${table.node.path} (byTenant, byWorkflow, byStatus, active); the wildcard is limited to that table's indexes.`,
  });
}

/**
 * Acknowledges the wildcards `grantRead` and `grantPut` add on the payload bucket: objects are
 * named `<tenant>/<runId>/<part>/<sha256>.json` as runs happen, so access is to the bucket's
 * objects (`<bucket>/*`) and to the `s3:GetObject*`, `s3:GetBucket*`, `s3:List*` and `s3:Abort*`
 * action groups of those grants; no delete is granted.
 */
export function acknowledgePayloadAccess(fn: IFunction, bucket: IBucket): void {
  const role = fn.role;
  const cfnBucket = bucket.node.defaultChild;
  if (role === undefined || !CfnElement.isCfnElement(cfnBucket)) return;
  const logicalId = Stack.of(bucket).resolve(cfnBucket.logicalId);
  const reason = `Reads and puts of run payload objects in ${bucket.node.path}, named by tenant, run and content hash as runs happen; limited to that bucket, no delete.`;
  for (const id of [
    `AwsSolutions-IAM5[Resource::<${logicalId}.Arn>/*]`,
    'AwsSolutions-IAM5[Action::s3:GetObject*]',
    'AwsSolutions-IAM5[Action::s3:GetBucket*]',
    'AwsSolutions-IAM5[Action::s3:List*]',
    'AwsSolutions-IAM5[Action::s3:Abort*]',
  ]) {
    Validations.of(role).acknowledge({ id, reason });
  }
}

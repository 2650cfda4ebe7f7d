import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { SkeinStore } from './constructs/store.ts';

/** Stage names end up in stack names and resource names: short, lowercase, DNS-safe. */
const STAGE_PATTERN = /^[a-z][a-z0-9-]{0,19}$/;

/** The stage used when the CDK context sets none. */
export const DEFAULT_STAGE = 'dev';

/**
 * Turns the raw `stage` context value into a stage name, or throws an error that shows the bad
 * value. `infra/app.ts` reads the context; this only validates, so tests can call it directly.
 * @example stageFrom(app.node.tryGetContext('stage')) // 'dev' when unset
 */
export function stageFrom(raw: unknown): string {
  if (raw === undefined || raw === null) return DEFAULT_STAGE;
  if (typeof raw !== 'string' || !STAGE_PATTERN.test(raw)) {
    throw new Error(
      `context "stage" must match ${STAGE_PATTERN} (a lowercase letter, then up to 19 lowercase ` +
        `letters, digits or dashes), got ${JSON.stringify(raw)}; pass e.g. \`-c stage=prod\``,
    );
  }
  return raw;
}

export interface SkeinStackProps extends StackProps {
  /** Stage name, validated by {@link stageFrom}; `dev` resources are disposable. */
  readonly stage: string;
}

/**
 * One Skein deployment: one stack per stage (`Skein-dev`, `Skein-prod`, ...).
 *
 * Today it holds the store (the DynamoDB tables). The API, engine (queues, worker pools,
 * sweeper), monitor (stream → SNS, metrics) and dashboard constructs come next, each wired to
 * the store through `grant*` methods rather than hand-written IAM.
 */
export class SkeinStack extends Stack {
  public readonly store: SkeinStore;

  constructor(scope: Construct, id: string, props: SkeinStackProps) {
    const stage = stageFrom(props.stage);
    super(scope, id, { description: `Skein workflow orchestrator (stage ${stage})`, ...props });
    this.store = new SkeinStore(this, 'Store', { stage });

    new CfnOutput(this, 'DefinitionsTableName', {
      description: 'DynamoDB table of workflow definitions',
      value: this.store.definitionsTable.tableName,
    });
    new CfnOutput(this, 'ControlTableName', {
      description: 'DynamoDB table of control data (API keys)',
      value: this.store.controlTable.tableName,
    });
  }
}

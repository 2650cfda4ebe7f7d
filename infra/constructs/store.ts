import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import {
  AttributeType,
  BillingMode,
  type ITable,
  ProjectionType,
  StreamViewType,
  Table,
  TableEncryption,
} from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import {
  CONTROL_TABLE,
  DEFINITIONS_TABLE,
  RUNS_TABLE,
  type TableDescription,
} from '../../shared/adapters/aws/tables.ts';

export interface SkeinStoreProps {
  /** Stage the tables belong to; `dev` tables are disposable, every other stage keeps its data. */
  readonly stage: string;
  /**
   * Refuse `DeleteTable` calls, from the console, the SDK or CloudFormation.
   * @default true unless `stage` is `'dev'`
   */
  readonly deletionProtection?: boolean;
  /**
   * Keep 35 days of continuous backups (point-in-time recovery).
   * @default true
   */
  readonly pointInTimeRecovery?: boolean;
}

/**
 * Skein's DynamoDB tables: versioned workflow definitions, low-volume control data (API keys,
 * later triggers), and run state. Key schemas, indexes, TTL and streams come from
 * `shared/adapters/aws/tables.ts`, the same description local mode creates its tables from, so
 * AWS and local mode cannot drift apart.
 *
 * Tables keep CloudFormation-generated names (no `tableName`), so a change that needs a
 * replacement never collides with the old table; functions receive the names through
 * `ENV` in `shared/config.ts`.
 *
 * @example
 * const store = new SkeinStore(this, 'Store', { stage: 'prod' });
 * store.definitionsTable.grantReadData(apiFunction);
 */
export class SkeinStore extends Construct {
  /** Workflow summaries, versions and body chunks. */
  public readonly definitionsTable: ITable;
  /** API keys (hashed), later triggers and subscriptions. */
  public readonly controlTable: ITable;
  /**
   * Runs, inputs, nodes, done-sets and idempotency keys, with the `byTenant`, `byWorkflow`,
   * `byStatus` and `active` indexes, TTL on `expiresAt` and a NEW_AND_OLD_IMAGES stream.
   */
  public readonly runsTable: ITable;

  constructor(scope: Construct, id: string, props: SkeinStoreProps) {
    super(scope, id);
    const disposable = props.stage === 'dev';
    const settings: TableSettings = {
      deletionProtection: props.deletionProtection ?? !disposable,
      pointInTimeRecovery: props.pointInTimeRecovery ?? true,
      removalPolicy: disposable ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
    };
    this.definitionsTable = skeinTable(this, 'DefinitionsTable', DEFINITIONS_TABLE, settings);
    this.controlTable = skeinTable(this, 'ControlTable', CONTROL_TABLE, settings);
    this.runsTable = skeinTable(this, 'RunsTable', RUNS_TABLE, settings);
  }
}

interface TableSettings {
  readonly deletionProtection: boolean;
  readonly pointInTimeRecovery: boolean;
  readonly removalPolicy: RemovalPolicy;
}

function skeinTable(scope: Construct, id: string, keys: TableDescription, settings: TableSettings): Table {
  const table = new Table(scope, id, {
    partitionKey: { name: keys.partitionKey.name, type: AttributeType.STRING },
    sortKey: { name: keys.sortKey.name, type: AttributeType.STRING },
    billingMode: BillingMode.PAY_PER_REQUEST,
    // The account's `aws/dynamodb` key: encryption events show up in CloudTrail at no key cost.
    // A customer managed key adds a monthly charge and a key policy to own for no access control
    // these tables need yet; revisit when tenants ask for their own keys.
    encryption: TableEncryption.AWS_MANAGED,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: settings.pointInTimeRecovery },
    deletionProtection: settings.deletionProtection,
    removalPolicy: settings.removalPolicy,
    ...(keys.timeToLiveAttribute !== undefined && { timeToLiveAttribute: keys.timeToLiveAttribute }),
    ...(keys.stream === 'NEW_AND_OLD_IMAGES' && { stream: StreamViewType.NEW_AND_OLD_IMAGES }),
  });
  for (const index of keys.globalIndexes ?? []) {
    table.addGlobalSecondaryIndex({
      indexName: index.indexName,
      partitionKey: { name: index.partitionKey.name, type: AttributeType.STRING },
      sortKey: { name: index.sortKey.name, type: AttributeType.STRING },
      ...(index.include === undefined
        ? { projectionType: ProjectionType.ALL }
        : { projectionType: ProjectionType.INCLUDE, nonKeyAttributes: [...index.include] }),
    });
  }
  if (!settings.pointInTimeRecovery) {
    Validations.of(table).acknowledge({
      id: 'AwsSolutions-DDB3',
      reason: 'Point-in-time recovery was turned off explicitly through SkeinStoreProps.pointInTimeRecovery.',
    });
  }
  return table;
}

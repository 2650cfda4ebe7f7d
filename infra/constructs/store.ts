import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import {
  AttributeType,
  BillingMode,
  type ITable,
  ProjectionType,
  StreamViewType,
  Table,
  TableEncryption,
} from 'aws-cdk-lib/aws-dynamodb';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  type IBucket,
  type LifecycleRule,
} from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { PAYLOAD_EXPIRY_DAYS, PAYLOAD_EXPIRY_TAG } from '../../shared/adapters/aws/payload-expiry.ts';
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
 * later triggers), and run state; and the payload bucket, where values too large for a run
 * item (node outputs, run inputs and outputs over `SKEIN_PAYLOAD_THRESHOLD_BYTES`) are kept. Key schemas, indexes, TTL and streams come from
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
  /**
   * Large payloads, `<tenant>/<runId>/...` objects referenced from run items: SSE-S3, TLS only,
   * no public access, each object expiring with its run (see {@link payloadBucket}).
   */
  public readonly payloadBucket: IBucket;

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
    this.payloadBucket = payloadBucket(this);
  }
}

/**
 * The payload bucket. Objects are immutable and content-addressed, so no versioning. Every stage
 * retains it when the stack is deleted (a non-empty bucket cannot be deleted by CloudFormation,
 * and emptying it on delete needs a custom-resource function): its lifecycle rules empty it.
 */
function payloadBucket(scope: Construct): Bucket {
  const bucket = new Bucket(scope, 'PayloadBucket', {
    // S3-managed keys: encrypted at rest with no key policy to own and no per-request KMS charge
    // (a node output read by 100 children would be 100 KMS decrypts); like the tables' AWS-owned keys.
    encryption: BucketEncryption.S3_MANAGED,
    enforceSSL: true,
    blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
    removalPolicy: RemovalPolicy.RETAIN,
    lifecycleRules: payloadLifecycle(),
  });
  Validations.of(bucket).acknowledge({
    id: 'AwsSolutions-S1',
    reason:
      'Only the stack’s engine functions read and write payload objects, each write following a run write already ' +
      'recorded in DynamoDB; server access logs would need a second bucket and one log object per request. ' +
      'Turn on CloudTrail S3 data events for an audit trail.',
  });
  return bucket;
}

/**
 * One expiration rule per expiry class (objects tagged `skein-expiry=d<days>` by the S3 adapter
 * with the class that outlives their run item), and one for untagged objects at the longest.
 */
export function payloadLifecycle(): LifecycleRule[] {
  const longest = PAYLOAD_EXPIRY_DAYS[PAYLOAD_EXPIRY_DAYS.length - 1] as number;
  return [
    ...PAYLOAD_EXPIRY_DAYS.map((days) => ({
      id: `Expire${days}Days`,
      tagFilters: { [PAYLOAD_EXPIRY_TAG]: `d${days}` },
      expiration: Duration.days(days),
    })),
    {
      id: 'ExpireUntagged',
      expiration: Duration.days(longest),
      abortIncompleteMultipartUploadAfter: Duration.days(1),
    },
  ];
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

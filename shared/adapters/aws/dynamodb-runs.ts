/**
 * The run items of `DynamoDbRunStore`: the run (`R#<runId>` / `RUN`), its gzipped inputs (`IN`)
 * and its idempotency key (`T#<tenant>#I#<key>` / `I`), and the tenants of runs seen, which
 * `updateRun` needs to rewrite the status indexes.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  type ErrorInfo,
  type RunChange,
  type RunCondition,
  type RunRecord,
  type RunStatus,
  RunStoreError,
  type RunStoreRuns,
} from '../../ports/run-store.ts';
import { conditionalUpdate } from './dynamodb-conditional-write.ts';
import { Expr } from './dynamodb-expr.ts';
import {
  creationItems,
  failureUpdate,
  type Item,
  idempotencyKeyOf,
  inputsKey,
  type Key,
  runCondition,
  runKey,
  runUpdate,
  toRun,
} from './dynamodb-run-items.ts';

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

/** Attempts of `createRun` while its idempotency key is contended. */
const MAX_CREATE_ATTEMPTS = 5;
/** Runs whose tenant is remembered for `updateRun` (the tenant of a run never changes). */
const TENANT_CACHE_SIZE = 10_000;

export class DynamoDbRuns implements RunStoreRuns {
  private readonly tenants = new Map<string, string>();

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async createRun(run: RunRecord, inputs: unknown): Promise<{ run: RunRecord; created: boolean }> {
    const body = inputs === undefined ? undefined : await gzipAsync(JSON.stringify(inputs));
    const key =
      run.idempotencyKey === undefined ? undefined : idempotencyKeyOf(run.tenant, run.idempotencyKey);
    if (key === undefined) {
      // No idempotency key: two plain conditional puts, inputs first, cost half a transaction.
      // A crash between them leaves an orphan inputs item, which TTL removes.
      const [runPut, inputsPut] = creationItems(this.tableName, run, body, undefined);
      if (runPut && inputsPut) {
        try {
          await this.doc.send(new PutCommand(inputsPut.Put));
          await this.doc.send(new PutCommand(runPut.Put));
        } catch (error) {
          if ((error as Error).name === 'ConditionalCheckFailedException') {
            throw new RunStoreError(`cannot create run ${run.runId}: it already exists`, { cause: error });
          }
          throw error;
        }
        return { run: this.remember(run), created: true };
      }
    }
    // The key's item may point to a run that TTL already deleted: then it is taken over.
    let stale: string | undefined;
    for (let attempt = 1; ; attempt++) {
      const TransactItems = creationItems(this.tableName, run, body, key && { key, stale });
      const codes = await this.transact(TransactItems);
      if (!codes) return { run: this.remember(run), created: true };
      const keyTaken = codes[2] === 'ConditionalCheckFailed' || codes[2] === 'TransactionConflict';
      if (!key || !keyTaken || attempt >= MAX_CREATE_ATTEMPTS) {
        const why =
          codes[0] === 'ConditionalCheckFailed' ? 'it already exists' : `cancelled: ${codes.join(', ')}`;
        throw new RunStoreError(`cannot create run ${run.runId}: ${why}`);
      }
      const claimed = await this.get(key);
      const existing = typeof claimed?.runId === 'string' ? await this.getRun(claimed.runId) : undefined;
      if (existing) return { run: existing, created: false };
      stale = claimed?.runId as string | undefined;
      await sleep(10 * attempt);
    }
  }

  async getRun(runId: string): Promise<RunRecord | undefined> {
    const item = await this.get(runKey(runId));
    return item && this.remember(toRun(item));
  }

  async getInputs(runId: string): Promise<unknown> {
    const item = await this.get(inputsKey(runId));
    if (item?.body === undefined) return undefined;
    return JSON.parse((await gunzipAsync(item.body as Uint8Array)).toString('utf8'));
  }

  async updateRun(
    runId: string,
    ifStatus: readonly RunStatus[],
    change: RunChange & { readonly updatedAt: string },
    when: RunCondition = {},
  ): Promise<RunRecord | undefined> {
    if (ifStatus.length === 0) return undefined;
    const tenant = change.status === undefined ? undefined : await this.tenantOf(runId);
    if (change.status !== undefined && tenant === undefined) return undefined;
    const x = new Expr();
    const update = runUpdate(runId, change, tenant, x);
    const item = await this.update(runKey(runId), x, update, runCondition(ifStatus, change, when, x));
    return item && this.remember(toRun(item));
  }

  async markProgress(runId: string, at: string, ifBefore: string): Promise<void> {
    const x = new Expr();
    const progressAt = x.n('progressAt');
    await this.update(
      runKey(runId),
      x,
      `SET ${progressAt} = ${x.v(at)}`,
      `attribute_exists(${x.n('pk')}) AND (attribute_not_exists(${progressAt}) OR ${progressAt} < ${x.v(ifBefore)})`,
    );
  }

  async recordFailure(runId: string, error: ErrorInfo, updatedAt: string): Promise<void> {
    const x = new Expr();
    const { update, condition } = failureUpdate(error, updatedAt, x);
    await this.update(runKey(runId), x, update, condition);
  }

  /** Remembers the run's tenant (for `updateRun`) and hands the run back. */
  remember(run: RunRecord): RunRecord {
    if (this.tenants.size >= TENANT_CACHE_SIZE) this.tenants.clear();
    this.tenants.set(run.runId, run.tenant);
    return run;
  }

  private async get(Key: Key): Promise<Item | undefined> {
    const { Item } = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key, ConsistentRead: true }),
    );
    return Item;
  }

  /** A conditional UpdateItem returning the new item, or undefined when the condition failed. */
  private async update(Key: Key, x: Expr, UpdateExpression: string, ConditionExpression: string | undefined) {
    const written = await conditionalUpdate(
      this.doc,
      this.tableName,
      Key,
      x,
      UpdateExpression,
      ConditionExpression,
    );
    return written.applied ? written.item : undefined;
  }

  /** Writes the transaction; returns undefined, or the cancellation reason codes by item. */
  private async transact(TransactItems: ReturnType<typeof creationItems>) {
    try {
      await this.doc.send(new TransactWriteCommand({ TransactItems }));
      return undefined;
    } catch (error) {
      if (!(error instanceof Error) || error.name !== 'TransactionCanceledException') throw error;
      const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? [];
      return reasons.map((reason) => reason.Code ?? 'None');
    }
  }

  private async tenantOf(runId: string): Promise<string | undefined> {
    const known = this.tenants.get(runId);
    if (known !== undefined) return known;
    const { Item } = await this.doc.send(
      new GetCommand({
        TableName: this.tableName,
        Key: runKey(runId),
        ProjectionExpression: '#tenant',
        ExpressionAttributeNames: { '#tenant': 'tenant' },
        ConsistentRead: true,
      }),
    );
    return Item?.tenant as string | undefined;
  }
}

/**
 * The run-concurrency items of `DynamoDbRunStore` (see `engine/concurrency.ts`): a slot set per cap
 * (`T#<tenant>#W#<workflow or *>` / `SLOTS`: a string set of run ids) and its waiting line
 * (`T#<tenant>#W#<workflow or *>#WAIT` / `<runId>`, in run id order).
 */
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import { conditionalUpdate } from './dynamodb-conditional-write.ts';
import { Expr, updateExpression } from './dynamodb-expr.ts';
import { type Key, slotsKey, waitingPk } from './dynamodb-run-items.ts';

export class RunSlots {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** `ADD holders :run` if the set is not full, or already holds the run. */
  async acquire(tenant: string, workflow: string, runId: string, max: number): Promise<boolean> {
    const x = new Expr();
    const holders = x.n('holders');
    const condition = `attribute_not_exists(${holders}) OR contains(${holders}, ${x.v(runId)}) OR size(${holders}) < ${x.v(max)}`;
    return this.update(
      slotsKey(tenant, workflow),
      x,
      updateExpression({ add: [`${holders} ${x.v(new Set([runId]))}`] }),
      condition,
    );
  }

  /** `DELETE holders :run` on an existing item (never creates one). */
  async release(tenant: string, workflow: string, runId: string): Promise<void> {
    const x = new Expr();
    const update = `DELETE ${x.n('holders')} ${x.v(new Set([runId]))}`;
    await this.update(slotsKey(tenant, workflow), x, update, `attribute_exists(${x.n('pk')})`);
  }

  async holders(tenant: string, workflow: string): Promise<string[]> {
    const { Item } = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: slotsKey(tenant, workflow), ConsistentRead: true }),
    );
    return [...((Item?.holders as Set<string> | undefined) ?? [])];
  }

  async addWaiting(tenant: string, workflow: string, runId: string, expiresAt: number): Promise<void> {
    const Item = { pk: waitingPk(tenant, workflow), sk: runId, runId, expiresAt };
    await this.doc.send(new PutCommand({ TableName: this.tableName, Item }));
  }

  async removeWaiting(tenant: string, workflow: string, runId: string): Promise<void> {
    const Key = { pk: waitingPk(tenant, workflow), sk: runId };
    await this.doc.send(new DeleteCommand({ TableName: this.tableName, Key }));
  }

  async listWaiting(tenant: string, workflow: string, limit: number): Promise<string[]> {
    const out = await this.doc.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': waitingPk(tenant, workflow) },
        ConsistentRead: true,
        Limit: limit,
      }),
    );
    return (out.Items ?? []).map((item) => item.sk as string);
  }

  /** A conditional update: false when the condition failed. */
  private async update(Key: Key, x: Expr, UpdateExpression: string, ConditionExpression: string) {
    return (await conditionalUpdate(this.doc, this.tableName, Key, x, UpdateExpression, ConditionExpression))
      .applied;
  }
}

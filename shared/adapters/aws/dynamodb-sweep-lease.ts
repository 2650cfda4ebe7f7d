/**
 * The sweeper's lease of `DynamoDbRunStore` (`SWEEPER` / `LEASE`: holder, leaseUntil, the cursor
 * where the last sweep stopped and its round): one sweep at a time, each going on from the last.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SweepPosition } from '../../ports/run-store.ts';
import { conditionalUpdate } from './dynamodb-conditional-write.ts';
import { Expr, updateExpression } from './dynamodb-expr.ts';
import { sweepLeaseKey } from './dynamodb-run-items.ts';

export class SweepLease {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** Takes the lease until `untilMs` if it is free or expired; its position, or undefined. */
  async take(holder: string, nowMs: number, untilMs: number): Promise<SweepPosition | undefined> {
    const x = new Expr();
    const until = x.n('leaseUntil');
    const update = updateExpression({
      set: [`${x.n('holder')} = ${x.v(holder)}`, `${until} = ${x.v(untilMs)}`],
    });
    const free = `attribute_not_exists(${x.n('holder')}) OR ${until} <= ${x.v(nowMs)}`;
    const written = await conditionalUpdate(this.doc, this.tableName, sweepLeaseKey, x, update, free);
    if (!written.applied) return undefined;
    const { item } = written;
    const round = typeof item.round === 'number' ? item.round : 0;
    return typeof item.cursor === 'string' ? { cursor: item.cursor, round } : { round };
  }

  /** Saves the position while `holder` holds the lease (and gives it up with `release`). */
  async save(holder: string, position: SweepPosition, release: boolean): Promise<boolean> {
    const { cursor, round } = position;
    const x = new Expr();
    const set = [`${x.n('round')} = ${x.v(round)}`];
    if (cursor !== undefined) set.push(`${x.n('cursor')} = ${x.v(cursor)}`);
    const remove = [
      ...(cursor === undefined ? [x.n('cursor')] : []),
      ...(release ? [x.n('holder'), x.n('leaseUntil')] : []),
    ];
    const update = updateExpression({ set, remove });
    const mine = `${x.n('holder')} = ${x.v(holder)}`;
    return (await conditionalUpdate(this.doc, this.tableName, sweepLeaseKey, x, update, mine)).applied;
  }
}

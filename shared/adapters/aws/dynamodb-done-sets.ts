/**
 * The done-sets of `DynamoDbRunStore` (`R#<runId>` / `E#<setKey>`: `done`, a number set of sinks),
 * so a run counts its sinks without any item growing with the run.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { RunStoreDoneSets } from '../../ports/run-store.ts';
import { conditionalUpdate } from './dynamodb-conditional-write.ts';
import { Expr, updateExpression } from './dynamodb-expr.ts';
import { doneKey, doneUpdate } from './dynamodb-run-items.ts';

export class DynamoDbDoneSets implements RunStoreDoneSets {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async addDone(runId: string, setKey: string, member: number, expiresAt: number) {
    const x = new Expr();
    const { update, condition } = doneUpdate(member, expiresAt, x);
    // A refused add returns the set as it is: its size needs no second read.
    const { applied, item } = await conditionalUpdate(
      this.doc,
      this.tableName,
      doneKey(runId, setKey),
      x,
      update,
      condition,
    );
    return { applied, size: (item?.done as Set<number> | undefined)?.size ?? 0 };
  }

  async addDoneAll(runId: string, setKey: string, members: readonly number[], expiresAt: number) {
    if (members.length === 0) throw new RangeError('addDoneAll needs at least one member');
    const x = new Expr();
    const update = updateExpression({
      add: [`${x.n('done')} ${x.v(new Set(members))}`],
      set: [`${x.n('expiresAt')} = if_not_exists(${x.n('expiresAt')}, ${x.v(expiresAt)})`],
    });
    const written = await conditionalUpdate(
      this.doc,
      this.tableName,
      doneKey(runId, setKey),
      x,
      update,
      undefined,
    );
    return written.applied ? ((written.item.done as Set<number> | undefined)?.size ?? 0) : 0;
  }
}

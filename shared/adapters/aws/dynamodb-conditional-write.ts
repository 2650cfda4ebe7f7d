import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { ItemTooLargeError } from '../../ports/run-store.ts';
import type { Expr } from './dynamodb-expr.ts';
import type { Item, Key } from './dynamodb-run-items.ts';

export type ConditionalWrite = { applied: true; item: Item } | { applied: false; item?: Item };

/**
 * A conditional UpdateItem on the runs table: the item after the write, or, when the condition
 * failed, the item as it was (absent: no item), which DynamoDB returns in the same response at no
 * extra cost (`ReturnValuesOnConditionCheckFailure: ALL_OLD`), so a lost race needs no second
 * read. An item over DynamoDB's size limit is an `ItemTooLargeError`.
 */
export async function conditionalUpdate(
  doc: DynamoDBDocumentClient,
  tableName: string,
  Key: Key,
  x: Expr,
  UpdateExpression: string,
  ConditionExpression: string | undefined,
): Promise<ConditionalWrite> {
  try {
    const out = await doc.send(
      new UpdateCommand({
        TableName: tableName,
        Key,
        UpdateExpression,
        ...(ConditionExpression === undefined ? {} : { ConditionExpression }),
        ...x.params(),
        ReturnValues: 'ALL_NEW',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
    return { applied: true, item: out.Attributes ?? {} };
  } catch (error) {
    if (error instanceof Error && error.name === 'ConditionalCheckFailedException') {
      // The document client leaves the error's item in DynamoDB's attribute-value form.
      const old = (error as { Item?: Record<string, AttributeValue> }).Item;
      return old ? { applied: false, item: unmarshall(old) } : { applied: false };
    }
    if (error instanceof Error && error.name === 'ValidationException' && /item size/i.test(error.message)) {
      throw new ItemTooLargeError(`${Key.sk} of ${Key.pk}: ${error.message}`, { cause: error });
    }
    throw error;
  }
}

import { type DynamoDBDocumentClient, paginateQuery } from '@aws-sdk/lib-dynamodb';

type Item = Record<string, unknown>;

/**
 * Every item of partition `pk` whose sort key starts with `prefix`, all pages, strongly
 * consistent unless `consistent` is false (the SDK's paginator follows `LastEvaluatedKey`).
 * @example await queryPrefix(doc, 'skein-runs', 'R#01J...', 'N#')
 */
export async function queryPrefix(
  doc: DynamoDBDocumentClient,
  tableName: string,
  pk: string,
  prefix: string,
  consistent = true,
): Promise<Item[]> {
  const items: Item[] = [];
  const pages = paginateQuery(
    { client: doc },
    {
      TableName: tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': pk, ':prefix': prefix },
      ConsistentRead: consistent,
    },
  );
  for await (const page of pages) items.push(...(page.Items ?? []));
  return items;
}

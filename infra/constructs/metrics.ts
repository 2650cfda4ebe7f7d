import { Duration } from 'aws-cdk-lib';
import { type IMetric, MathExpression, Metric } from 'aws-cdk-lib/aws-cloudwatch';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { METRICS } from '../../shared/config.ts';

/** The period of every five-minute metric and alarm of the dashboard. */
export const FIVE_MINUTES = Duration.minutes(5);

/**
 * Read and write throttle events of a table and of each of its indexes, summed (at most 10
 * metrics in an alarm's expression: the table and four indexes).
 */
export function tableThrottleEvents(table: ITable, indexNames: readonly string[], label: string): IMetric {
  const event = (metricName: string, indexName?: string) =>
    new Metric({
      namespace: 'AWS/DynamoDB',
      metricName,
      dimensionsMap: {
        TableName: table.tableName,
        ...(indexName !== undefined && { GlobalSecondaryIndexName: indexName }),
      },
      statistic: 'Sum',
      period: FIVE_MINUTES,
    });
  // Ids are unique per graph, and the dashboard graphs every table's expression together.
  const id = label.toLowerCase().replace(/[^a-z0-9]/g, '');
  const metrics: Record<string, IMetric> = {
    [`${id}R`]: event('ReadThrottleEvents'),
    [`${id}W`]: event('WriteThrottleEvents'),
  };
  indexNames.forEach((indexName, index) => {
    metrics[`${id}R${index}`] = event('ReadThrottleEvents', indexName);
    metrics[`${id}W${index}`] = event('WriteThrottleEvents', indexName);
  });
  if (Object.keys(metrics).length > 10) {
    throw new Error(
      `an alarm expression takes at most 10 metrics: the ${label} table has ${indexNames.length} indexes (${indexNames.join(', ')}), at most 4 fit`,
    );
  }
  return new MathExpression({
    expression: Object.keys(metrics)
      .map((metricId) => `FILL(${metricId}, 0)`)
      .join(' + '),
    usingMetrics: metrics,
    label: `${label} throttled`,
    period: FIVE_MINUTES,
  });
}

/**
 * A Skein metric as the monitor writes it (EMF, namespace `Skein`, one dimension `stage`).
 * @example skeinMetric('prod', METRICS.runsFailed, 'Sum', 'failed')
 */
export function skeinMetric(stage: string, metricName: string, statistic: string, label: string): Metric {
  return new Metric({
    namespace: METRICS.namespace,
    metricName,
    dimensionsMap: { [METRICS.dimension]: stage },
    statistic,
    label,
    period: FIVE_MINUTES,
  });
}

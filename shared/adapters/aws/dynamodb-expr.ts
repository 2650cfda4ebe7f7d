/** Expression building for the DynamoDB adapters: placeholders and update clauses. */

/** Placeholders for one expression set: `#name` for every attribute, `:vN` for every value. */
export class Expr {
  private readonly names: Record<string, string> = {};
  private readonly values: Record<string, unknown> = {};
  private count = 0;

  n(attribute: string): string {
    this.names[`#${attribute}`] = attribute;
    return `#${attribute}`;
  }

  v(value: unknown): string {
    const placeholder = `:v${this.count++}`;
    this.values[placeholder] = value;
    return placeholder;
  }

  list(values: readonly unknown[]): string {
    return values.map((value) => this.v(value)).join(', ');
  }

  /** Only what the expressions used: DynamoDB rejects unused names and values. */
  params() {
    return {
      ExpressionAttributeNames: this.names,
      ...(this.count > 0 && { ExpressionAttributeValues: this.values }),
    };
  }
}

/** `SET a, b ADD c REMOVE d`, leaving out empty clauses. */
export function updateExpression(clauses: { set?: string[]; add?: string[]; remove?: string[] }): string {
  return (['set', 'add', 'remove'] as const)
    .filter((clause) => (clauses[clause]?.length ?? 0) > 0)
    .map((clause) => `${clause.toUpperCase()} ${clauses[clause]?.join(', ')}`)
    .join(' ');
}

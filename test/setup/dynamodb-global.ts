/**
 * vitest globalSetup: one in-memory DynamoDB Local for the whole run, reached from tests through
 * `inject('dynamoEndpoint')` (see `./dynamo.ts`).
 *
 * vitest runs a globalSetup once for the root project and once per selected project, and projects
 * inherit what the root provides. So only the root starts the JVM (one process, not one per
 * project), and only when a selected project may need it: `--project unit` stays Java-free.
 */
import type { TestProject } from 'vitest/node';
import { startDynamoDbLocal } from '../../functions/local/dynamodb-local.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Endpoint of the shared DynamoDB Local; empty when the selected projects do not need it. */
    dynamoEndpoint: string;
  }
}

/** Projects whose tests never touch DynamoDB. */
const WITHOUT_DYNAMODB = new Set(['unit', 'infra']);

export default async function setup(project: TestProject) {
  if (!project.isRootProject()) return;
  const needed = project.vitest.projects.some((p) => !WITHOUT_DYNAMODB.has(p.name));
  if (!needed) {
    project.provide('dynamoEndpoint', '');
    return;
  }
  const db = await startDynamoDbLocal();
  project.provide('dynamoEndpoint', db.endpoint);
  return async () => {
    await db.stop();
  };
}

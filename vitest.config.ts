import { defineConfig } from 'vitest/config';

// One project per test layer (see README "Tests"). Contract, integration and e2e suites share one
// DynamoDB Local process started by test/setup/dynamodb-global.ts and reach it through `inject`.
export default defineConfig({
  test: {
    globalSetup: ['test/setup/dynamodb-global.ts'],
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      { extends: true, test: { name: 'contract', include: ['test/contract/**/*.test.ts'] } },
      { extends: true, test: { name: 'integration', include: ['test/integration/**/*.test.ts'] } },
      { extends: true, test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'], testTimeout: 60_000 } },
      { extends: true, test: { name: 'infra', include: ['test/infra/**/*.test.ts'], testTimeout: 180_000 } },
    ],
  },
});

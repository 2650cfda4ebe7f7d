import { defineConfig } from 'vitest/config';

// One project per test layer (see README "Tests"). Contract, integration and e2e suites share one
// DynamoDB Local process started by test/setup/dynamodb-global.ts and reach it through `inject`.
// The global setup runs in this process, so the notice is silenced here as well as in workers.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export default defineConfig({
  test: {
    globalSetup: ['test/setup/dynamodb-global.ts'],
    // Skein targets Node 20 today; the SDK's notice about its 2027 floor is noise in test output.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      { extends: true, test: { name: 'contract', include: ['test/contract/**/*.test.ts'] } },
      // The engine on DynamoDB Local: a scenario of 60 runs and two sweeps took 1.7–5 s here,
      // depending on the machine's load; 5 s (vitest's default) is too close.
      {
        extends: true,
        test: { name: 'integration', include: ['test/integration/**/*.test.ts'], testTimeout: 30_000 },
      },
      { extends: true, test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'], testTimeout: 60_000 } },
      { extends: true, test: { name: 'infra', include: ['test/infra/**/*.test.ts'], testTimeout: 180_000 } },
    ],
  },
});

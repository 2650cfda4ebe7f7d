import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { S3Client } from '@aws-sdk/client-s3';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBucket, type Fauxqs, s3Client, startFauxqs } from '../../functions/local/fauxqs.ts';
import { type LocalRuntime, startLocalRuntime } from '../../functions/local/runtime.ts';
import { DynamoDbApiKeyStore } from '../../shared/adapters/aws/dynamodb-api-key-store.ts';
import { DynamoDbDefinitionStore } from '../../shared/adapters/aws/dynamodb-definition-store.ts';
import { DynamoDbRunStore } from '../../shared/adapters/aws/dynamodb-run-store.ts';
import { S3PayloadStore } from '../../shared/adapters/aws/s3-payload-store.ts';
import { OffloadingRunStore } from '../../shared/adapters/offloading-run-store.ts';
import { createApp } from '../../shared/api/app.ts';
import { createApiKey } from '../../shared/engine/api-keys.ts';
import { publishDefinition } from '../../shared/engine/publish-definition.ts';
import { FakeClock, systemClock } from '../../shared/ports/clock.ts';
import { randomIds } from '../../shared/ports/ids.ts';
import { type HarnessOptions, TENANT, WorkflowHarness } from '../../shared/testing/workflow-harness.ts';
import { offloadedPayloadScenarios, payloadScenarios } from '../scenarios/payloads.scenarios.ts';
import { ProbeExecutor, probeRegistry } from '../scenarios/scenario-kit.ts';
import { localTables } from '../setup/dynamo.ts';

const KB = 1024;
let server: Fauxqs;
let s3: S3Client;
let bucket: string;
beforeAll(async () => {
  server = await startFauxqs();
  s3 = s3Client(server.endpoint);
  bucket = await createBucket(s3, 'payloads-it');
});
afterAll(async () => {
  s3?.destroy();
  await server?.stop();
});

/** The engine on DynamoDB Local and fauxqs's S3, with the default 64 KB threshold. */
async function offloadingHarness(options: HarnessOptions = {}) {
  const { doc, tables } = await localTables('payloads');
  const runs = new OffloadingRunStore({
    runs: new DynamoDbRunStore({ client: doc, tableName: tables.runs }),
    payloads: new S3PayloadStore({ client: s3, bucket }),
  });
  // The clock starts in 2100: DynamoDB Local's TTL deletes items whose `expiresAt` is behind the real one.
  const harness = new WorkflowHarness({ clock: new FakeClock(Date.UTC(2100, 0, 1)), ...options, runs });
  const item = async (runId: string, sk: string) =>
    (
      await doc.send(
        new GetCommand({ TableName: tables.runs, Key: { pk: `R#${runId}`, sk }, ConsistentRead: true }),
      )
    ).Item ?? {};
  return { harness, item };
}

/** An item's size as DynamoDB counts it, closely enough: names and values as UTF-8 (binary as is). */
const itemBytes = (item: Record<string, unknown>) =>
  Object.entries(item).reduce(
    (sum, [name, value]) =>
      sum +
      Buffer.byteLength(name) +
      (value instanceof Uint8Array ? value.byteLength : Buffer.byteLength(JSON.stringify(value))),
    0,
  );

describe('large payloads on DynamoDB Local + fauxqs S3', () => {
  payloadScenarios(async (options) => (await offloadingHarness(options)).harness);
  offloadedPayloadScenarios(async (options) => (await offloadingHarness(options)).harness);

  it('keeps only a reference in the node item of a 200 KB output, the object in S3 under tenant and run', async () => {
    // Prepare
    const probe = new ProbeExecutor();
    const { harness, item } = await offloadingHarness({ executors: probeRegistry(probe) });
    const output = { body: 'x'.repeat(200 * KB) };
    probe.on('big', () => ({ kind: 'succeeded', output }));
    await harness.publish({
      id: 'one',
      outputs: { all: '{% $nodes.big.output %}' },
      nodes: { big: { type: 'noop' } },
    });

    // Act
    const run = await harness.run('one');
    const node = await item(run.runId, 'N#big');
    const runItem = await item(run.runId, 'RUN');

    // Assess
    expect(run.nodes.big?.output).toEqual(output);
    expect(run.outputs).toEqual({ all: output });
    const ref = JSON.parse(node.outputJson as string).$skeinPayload;
    expect(ref).toMatchObject({ key: `${TENANT}/${run.runId}/nodes/big/output/${ref.sha256}.json` });
    expect(itemBytes(node)).toBeLessThan(1 * KB);
    expect(itemBytes(runItem)).toBeLessThan(1 * KB);
    const stored = await new S3PayloadStore({ client: s3, bucket }).get(ref.key);
    expect(JSON.parse(Buffer.from(stored ?? []).toString())).toEqual(output);
  });
});

describe('large payloads in the local runtime (npm start): fauxqs S3 behind the API', () => {
  let runtime: LocalRuntime | undefined;
  afterAll(async () => {
    await runtime?.stop();
  });

  it('round-trips 100 KB of run inputs through the API, the inputs item holding a reference', async () => {
    // Prepare
    const { doc, tables } = await localTables('payloads-api');
    const definitions = new DynamoDbDefinitionStore({ client: doc, tableName: tables.definitions });
    const apiKeys = new DynamoDbApiKeyStore({ client: doc, tableName: tables.control });
    runtime = await startLocalRuntime({
      doc,
      runsTable: tables.runs,
      definitions,
      clock: systemClock,
      ids: randomIds,
      sweepEveryMs: 3_600_000,
    });
    const app = createApp({
      definitions,
      engine: runtime.engine,
      clock: systemClock,
      apiKeys,
      ids: randomIds,
      storeName: 'dynamodb-local',
    });
    const { key } = await createApiKey({ apiKeys, clock: systemClock, ids: randomIds }, 'acme');
    const body = {
      id: 'echo',
      inputs: { note: { type: 'string' } },
      outputs: { note: '{% $inputs.note %}' },
      nodes: { a: { type: 'noop' } },
    };
    await publishDefinition(
      { definitions, clock: systemClock },
      { tenant: 'acme', workflowId: 'echo', version: '1.0.0', body },
    );
    // Random text: gzip (the inputs item's encoding) would shrink a repeated letter to nothing.
    const note = randomBytes(75 * KB).toString('base64');
    const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };

    // Act
    const started = await app.request('/v1/tenants/acme/workflows/echo/runs', {
      method: 'POST',
      headers,
      body: JSON.stringify({ inputs: { note }, wait: 20 }),
    });
    const startedBody = (await started.json()) as { runId: string; status: string };
    const read = await app.request(`/v1/tenants/acme/runs/${startedBody.runId}`, { headers });
    const view = (await read.json()) as { inputs: unknown; outputs: unknown; status: string };
    const inputsItem = await doc.send(
      new GetCommand({
        TableName: tables.runs,
        Key: { pk: `R#${startedBody.runId}`, sk: 'IN' },
        ConsistentRead: true,
      }),
    );

    // Assess
    expect(started.status).toBe(200);
    expect(view).toMatchObject({ status: 'SUCCEEDED', inputs: { note }, outputs: { note } });
    const stored = inputsItem.Item?.body as Uint8Array;
    expect(stored.byteLength).toBeLessThan(1 * KB);
    expect(JSON.parse(gunzipSync(stored).toString())).toHaveProperty('$skeinPayload.bytes');
  });
});

describe('large payloads in the local runtime with a data folder (npm start)', () => {
  it('keeps a large output in files, readable after the runtime restarts', async () => {
    // Prepare
    const { doc, tables } = await localTables('payloads-restart');
    const definitions = new DynamoDbDefinitionStore({ client: doc, tableName: tables.definitions });
    const payloadDir = mkdtempSync(join(tmpdir(), 'skein-payloads-'));
    const options = {
      doc,
      runsTable: tables.runs,
      definitions,
      clock: systemClock,
      ids: randomIds,
      sweepEveryMs: 3_600_000,
      payloadDir,
    };
    const body = {
      id: 'big',
      outputs: { note: '{% $nodes.a.output.note %}' },
      nodes: { a: { type: 'noop', with: { note: randomBytes(75 * KB).toString('base64') } } },
    };
    await publishDefinition(
      { definitions, clock: systemClock },
      { tenant: 'acme', workflowId: 'big', version: '1.0.0', body },
    );
    const first = await startLocalRuntime(options);
    let runId: string;
    try {
      runId = (await first.engine.startRun({ tenant: 'acme', workflow: 'big' })).run.runId;
      const deadline = Date.now() + 20_000;
      while ((await first.engine.getRunRecord('acme', runId)).status !== 'SUCCEEDED') {
        if (Date.now() > deadline) throw new Error('the run did not succeed in time');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    } finally {
      await first.stop();
    }

    // Act
    const second = await startLocalRuntime(options);
    const view = await second.engine.getRun('acme', runId).finally(() => second.stop());

    // Assess
    expect(view.nodes.a?.output).toEqual({ note: body.nodes.a.with.note });
    expect((view.outputs as { note: string }).note).toBe(body.nodes.a.with.note);
    expect(readdirSync(join(payloadDir, 'acme', runId))).not.toHaveLength(0);
  });
});

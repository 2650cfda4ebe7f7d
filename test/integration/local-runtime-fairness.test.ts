import { afterEach, describe, expect, it } from 'vitest';
import { type LocalRuntime, startLocalRuntime } from '../../functions/local/runtime.ts';
import { bucketOf } from '../../shared/adapters/fair-queue.ts';
import { MemoryDefinitionStore } from '../../shared/adapters/memory/definition-store.ts';
import type { EngineEvent } from '../../shared/engine/context.ts';
import { publishDefinition } from '../../shared/engine/publish-definition.ts';
import { systemClock } from '../../shared/ports/clock.ts';
import { randomIds } from '../../shared/ports/ids.ts';
import { localTables } from '../setup/dynamo.ts';

const FANOUT = 2_000;
let runtime: LocalRuntime | undefined;
afterEach(async () => {
  await runtime?.stop();
  runtime = undefined;
});

describe('local runtime fairness between tenants (fauxqs, DynamoDB Local)', () => {
  it('finishes a small run of one tenant while another tenant’s 2,000-node fan-out queued first is far from done', async () => {
    // Prepare
    expect(bucketOf('big', 16)).not.toBe(bucketOf('small', 16));
    const { doc, tables } = await localTables('fair');
    const definitions = new MemoryDefinitionStore();
    const roots = Object.fromEntries(Array.from({ length: FANOUT }, (_, i) => [`n${i}`, { type: 'noop' }]));
    const chain = {
      a: { type: 'noop' },
      b: { type: 'noop', needs: ['a'] },
      c: { type: 'noop', needs: ['b'] },
    };
    for (const [tenant, workflowId, nodes] of [
      ['big', 'fanout', roots],
      ['small', 'chain', chain],
    ] as const) {
      const body = { id: workflowId, nodes };
      await publishDefinition(
        { definitions, clock: systemClock },
        { tenant, workflowId, version: '1.0.0', body },
      );
    }
    const succeeded = new Map<string, number>();
    let bigRunId = '';
    let smallRunId = '';
    let bigDoneWhenSmallEnded = Number.NaN;
    let smallEnds = () => {};
    const smallEnded = new Promise<void>((resolve) => {
      smallEnds = resolve;
    });
    const observer = (event: EngineEvent) => {
      if (event.type === 'node.succeeded') succeeded.set(event.runId, (succeeded.get(event.runId) ?? 0) + 1);
      if (event.type === 'run.succeeded' && event.runId === smallRunId) {
        bigDoneWhenSmallEnded = succeeded.get(bigRunId) ?? 0;
        smallEnds();
      }
    };
    runtime = await startLocalRuntime({
      doc,
      runsTable: tables.runs,
      definitions,
      clock: systemClock,
      ids: randomIds,
      observer,
      sweepEveryMs: 3_600_000,
    });

    // Act: every node of the fan-out is queued when its start returns.
    bigRunId = (await runtime.engine.startRun({ tenant: 'big', workflow: 'fanout' })).run.runId;
    smallRunId = (await runtime.engine.startRun({ tenant: 'small', workflow: 'chain' })).run.runId;
    await smallEnded;
    const depth = await runtime.readyDepth();

    // Assess
    expect(succeeded.get(smallRunId)).toBe(3);
    expect(bigDoneWhenSmallEnded).toBeLessThan(FANOUT / 4);
    expect(depth.visible + depth.inFlight).toBeGreaterThan(FANOUT / 2);
    expect(runtime.queueUrls().map((url) => url.split('/').at(-1))).toEqual(
      expect.arrayContaining(['skein-ready', `skein-ready-${pad(bucketOf('big', 16))}`]),
    );
  }, 120_000);
});

function pad(bucket: number): string {
  return String(bucket).padStart(2, '0');
}

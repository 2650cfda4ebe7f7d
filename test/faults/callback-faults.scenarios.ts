import { describe, expect, it } from 'vitest';
import { flowExecutors } from '../../shared/executors/flow.ts';
import { NoopExecutor } from '../../shared/executors/noop.ts';
import { FakeClock } from '../../shared/ports/clock.ts';
import type { RunStore } from '../../shared/ports/run-store.ts';
import { TENANT, WorkflowHarness } from '../../shared/testing/workflow-harness.ts';
import { hookNodeWrites } from '../scenarios/node-writes.ts';
import { HOUR, refusal, settle } from '../scenarios/scenario-kit.ts';
import { driveWithFaults } from './fault-driver.ts';

const APPROVAL = {
  id: 'approval',
  nodes: { approve: { type: 'callback', timeout: '1h' }, ship: { type: 'noop', needs: ['approve'] } },
};

/** A harness on `store` whose terminal node writes are counted, with the approval run waiting. */
async function waiting(makeStore: () => RunStore | Promise<RunStore>) {
  const store = await makeStore();
  const ended = new Map<string, number>();
  const proxy: RunStore = Object.create(store);
  hookNodeWrites(
    proxy,
    {
      after: ({ nodeId, change }, node) => {
        const status = change.set?.status;
        if (node && (status === 'SUCCEEDED' || status === 'FAILED'))
          ended.set(nodeId, (ended.get(nodeId) ?? 0) + 1);
      },
    },
    store,
  );
  // The clock starts in 2100: DynamoDB Local's TTL would delete items behind the real clock.
  const harness = new WorkflowHarness({
    runs: proxy,
    clock: new FakeClock(Date.UTC(2100, 0, 1)),
    executors: flowExecutors().register(new NoopExecutor()),
  });
  await harness.publish(APPROVAL);
  const runId = await harness.start('approval');
  await settle(harness);
  const token = (await harness.view(runId)).nodes.approve?.token ?? '';
  return { harness, runId, token, ended };
}

/** A callback's completion happens once, whatever races it and wherever the engine stops. */
export function callbackFaultScenarios(makeStore: () => RunStore | Promise<RunStore>) {
  describe('callback completions under faults', () => {
    it('accepts one of ten concurrent completions and ends the node once, with every message doubled', async () => {
      // Prepare
      const { harness, runId, token, ended } = await waiting(makeStore);

      // Act
      const answers = await Promise.allSettled(
        Array.from({ length: 10 }, (_, i) =>
          harness.engine.complete(TENANT, runId, 'approve', { token, output: i }),
        ),
      );
      const copied = new Set<string>();
      await driveWithFaults(harness, {
        delivery: (message) => {
          if (copied.has(message.body)) return 'handle';
          copied.add(message.body);
          return 'duplicate';
        },
      });

      // Assess
      const accepted = answers.filter((answer) => answer.status === 'fulfilled');
      expect(accepted).toHaveLength(1);
      const run = await harness.view(runId);
      expect(run.status).toBe('SUCCEEDED');
      expect(ended.get('approve')).toBe(1);
      expect(ended.get('ship')).toBe(1);
    });

    it.each([
      ['just before', -1],
      ['at', 0],
    ])(
      'settles a completion that races the timeout (%s the deadline) exactly one way',
      async (_when, offset) => {
        // Prepare
        const { harness, runId, token, ended } = await waiting(makeStore);
        harness.clock.advance(HOUR + offset);

        // Act: the deadline's message and the completion both arrive now
        const [answer] = await Promise.allSettled([
          harness.engine.complete(TENANT, runId, 'approve', { token, output: 'late' }),
          settle(harness),
        ]);
        await harness.drain();

        // Assess
        const run = await harness.view(runId);
        expect(ended.get('approve')).toBe(1);
        if (answer.status === 'fulfilled')
          expect(run.nodes.approve).toMatchObject({ status: 'SUCCEEDED', output: 'late' });
        else
          expect(run.nodes.approve).toMatchObject({ status: 'FAILED', error: { code: 'CALLBACK_TIMEOUT' } });
      },
    );

    it('finishes a completion whose message was lost after its write, from the sweeper, once', async () => {
      // Prepare
      const { harness, runId, token, ended } = await waiting(makeStore);
      await harness.engine.complete(TENANT, runId, 'approve', { token, output: 'ok' });
      const dropped = await harness.queue.receive({ max: 10 });
      for (const message of dropped) await harness.queue.delete(message.receipt);

      // Act
      const again = await refusal(
        harness.engine.complete(TENANT, runId, 'approve', { token, output: 'twice' }),
      );
      harness.clock.advance(15 * 60_000);
      await harness.engine.sweep();
      await settle(harness);

      // Assess
      expect(again.code).toBe('CALLBACK_ALREADY_COMPLETED');
      const run = await harness.view(runId);
      expect(run.status).toBe('SUCCEEDED');
      expect(run.nodes.approve?.output).toBe('ok');
      expect(ended.get('approve')).toBe(1);
    });
  });
}

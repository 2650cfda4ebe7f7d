import { describe, expect, it } from 'vitest';
import type { WorkflowHarness } from '../../shared/testing/workflow-harness.ts';
import { js, type MakeHarness, MINUTE, until } from './scenario-kit.ts';

/** Past the default `lostMessageMs` (10 minutes): a message not come by then is lost. */
const LOST = 11 * MINUTE;

/** Receives every visible message and deletes it unhandled, as if it had been lost. */
async function loseAllMessages(harness: WorkflowHarness): Promise<number> {
  let lost = 0;
  for (;;) {
    const batch = await harness.queue.receive({ max: 10 });
    if (batch.length === 0) return lost;
    for (const message of batch) await harness.queue.delete(message.receipt);
    lost += batch.length;
  }
}

export function sweeperScenarios(makeHarness: MakeHarness) {
  describe('one sweep at a time, resumed where the last one stopped', () => {
    it('skips a sweep that starts while another is still going, and the first re-sends once', async () => {
      // Prepare
      const harness = await makeHarness();
      await harness.publish({ id: 'lost-root', nodes: { a: js('return 1') } });
      const runId = await harness.start('lost-root');
      await loseAllMessages(harness);
      harness.clock.advance(LOST);
      const send = harness.queue.send.bind(harness.queue);
      let open: () => void = () => undefined;
      const gate = new Promise<void>((resolve) => {
        open = resolve;
      });
      let sending = false;
      harness.queue.send = async (messages) => {
        sending = true;
        await gate;
        return send(messages);
      };

      // Act
      const first = harness.engine.sweep();
      await until(() => sending);
      const second = await harness.engine.sweep();
      open();
      const report = await first;
      harness.queue.send = send;
      await harness.drain();

      // Assess
      expect(second).toMatchObject({ skipped: true, runsChecked: 0, requeued: 0 });
      expect(report).toMatchObject({ runsChecked: 1, requeued: 1 });
      const run = await harness.view(runId);
      expect(run.status).toBe('SUCCEEDED');
      expect(harness.handled).toBe(1);
      expect((await harness.engine.sweep()).skipped).toBeUndefined();
    });

    it('stops at its time budget and the next sweep goes on from there', async () => {
      // Prepare
      const harness = await makeHarness();
      await harness.publish({ id: 'many', nodes: { a: js('return 1') } });
      const runIds: string[] = [];
      for (let i = 0; i < 60; i++) runIds.push(await harness.start('many'));
      await loseAllMessages(harness);
      harness.clock.advance(LOST);
      const send = harness.queue.send.bind(harness.queue);
      // Each re-send takes a second of the (fake) clock: 30 of them use up the budget.
      harness.queue.send = async (messages) => {
        harness.clock.advance(1_000);
        return send(messages);
      };

      // Act
      const first = await harness.engine.sweep({ budgetMs: 30_000 });
      const second = await harness.engine.sweep({ budgetMs: 30_000 });
      harness.queue.send = send;
      await harness.drain();

      // Assess
      expect(first).toMatchObject({ cutShort: true, requeued: first.runsChecked });
      expect(first.runsChecked).toBeLessThan(60);
      // The second sweep re-sends the rest, and only the rest (the others were just re-sent).
      expect(second).toMatchObject({ requeued: 60 - first.runsChecked });
      expect(second.cutShort).toBeUndefined();
      for (const runId of runIds) expect((await harness.view(runId)).status).toBe('SUCCEEDED');
      expect(harness.handled).toBe(60);
    });
  });
}

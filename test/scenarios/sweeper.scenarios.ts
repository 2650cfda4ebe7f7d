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

  describe('a progress marker instead of node reads', () => {
    it('leaves a run whose workers recorded progress lately alone, and reads its nodes once it stalls', async () => {
      // Prepare: a chain whose first node finishes 5 minutes after the start
      const harness = await makeHarness();
      await harness.publish({
        id: 'busy',
        nodes: { a: js('return 1'), b: js('return 2', { needs: ['a'] }) },
      });
      const runId = await harness.start('busy');
      const listNodes = harness.runs.listNodes.bind(harness.runs);
      let nodeReads = 0;
      harness.runs.listNodes = (id, options) => {
        if (id === runId) nodeReads += 1;
        return listNodes(id, options);
      };
      harness.clock.advance(5 * MINUTE);
      const finishedAt = harness.clock.now();
      await harness.step(); // a finishes; b is now queued

      // Act
      const marked = (await harness.runs.getRun(runId))?.progressAt;
      harness.clock.advance(MINUTE + 30_000);
      await harness.engine.sweep();
      const readsWhileMoving = nodeReads;
      harness.clock.advance(MINUTE);
      await harness.engine.sweep();

      // Assess: recorded by the worker; no node read 90 s later; read once it is 2.5 minutes old
      expect(marked).toBe(new Date(finishedAt).toISOString());
      expect(readsWhileMoving).toBe(0);
      expect(nodeReads).toBe(1);
      await harness.drain();
      expect((await harness.view(runId)).status).toBe('SUCCEEDED');
    });

    it('records progress at most once a minute while nodes keep finishing', async () => {
      // Prepare: 30 nodes in a chain, one finishing every 10 s
      const harness = await makeHarness();
      const nodes: Record<string, object> = {};
      for (let i = 0; i < 30; i++) nodes[`n${i}`] = js('return 1', i === 0 ? {} : { needs: [`n${i - 1}`] });
      await harness.publish({ id: 'steady', nodes });
      const runId = await harness.start('steady');
      const markProgress = harness.runs.markProgress.bind(harness.runs);
      const marks: string[] = [];
      harness.runs.markProgress = async (id, at, ifBefore) => {
        const before = (await harness.runs.getRun(id))?.progressAt;
        await markProgress(id, at, ifBefore);
        if ((await harness.runs.getRun(id))?.progressAt !== before) marks.push(at);
      };

      // Act
      for (let i = 0; i < 30; i++) {
        harness.clock.advance(10_000);
        await harness.step();
      }

      // Assess: 300 s of work, a mark once the last is a minute old (checked when a node finishes,
      // every 10 s): 4 marks, 70 s apart, the first 70 s after the start
      expect((await harness.view(runId)).status).toBe('SUCCEEDED');
      const gaps = marks.map((at, i) => (Date.parse(at) - Date.parse(marks[i - 1] ?? at)) / 1000);
      expect(gaps).toEqual([0, 70, 70, 70]);
    });
  });
}

import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { TENANT, type WorkflowHarness } from '../../shared/testing/workflow-harness.ts';
import { HOUR, type MakeHarness, MINUTE, probeHarness, refusal, settle } from './scenario-kit.ts';

/** An approval, then a node that reads what the approver sent. */
const APPROVAL = {
  id: 'approval',
  nodes: {
    approve: { type: 'callback', timeout: '1h' },
    ship: { type: 'noop', needs: ['approve'], with: { approved: '{% $nodes.approve.output.ok %}' } },
  },
};

/** Starts the approval run and handles messages until the callback waits; returns its token. */
async function waitingRun(harness: WorkflowHarness, definition: object = APPROVAL) {
  await harness.publish(definition);
  const runId = await harness.start((definition as { id: string }).id);
  await settle(harness);
  const view = await harness.view(runId);
  const token = view.nodes.approve?.token;
  if (token === undefined)
    throw new Error(`approve is not waiting with a token: ${JSON.stringify(view.nodes)}`);
  return { runId, token };
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** The callback node: a token issued, shown once per wait, completed exactly once. */
export function callbackScenarios(makeHarness: MakeHarness): void {
  describe('callback nodes', () => {
    it('wait with a token that the view and the node.waiting event show, and complete with an output', async () => {
      // Prepare
      const { harness } = await probeHarness(makeHarness);
      const startedAt = harness.clock.now();
      const { runId, token } = await waitingRun(harness);
      const waiting = await harness.view(runId);

      // Act
      const accepted = await harness.engine.complete(TENANT, runId, 'approve', {
        token,
        output: { ok: true },
      });
      await settle(harness);

      // Assess
      expect(waiting.nodes.approve).toMatchObject({
        status: 'WAITING',
        attempts: 1,
        wakeAt: new Date(startedAt + HOUR).toISOString(),
      });
      const event = harness.events.find((e) => e.type === 'node.waiting' && e.nodeId === 'approve');
      expect(event?.completionToken).toBe(token);
      expect(accepted).toEqual({ runId, nodeId: 'approve', accepted: 'completed' });
      const run = await harness.view(runId);
      expect(run.status).toBe('SUCCEEDED');
      expect(run.nodes.approve).toMatchObject({ status: 'SUCCEEDED', attempts: 1, output: { ok: true } });
      expect(run.nodes.approve?.token).toBeUndefined();
      expect(run.nodes.ship?.output).toEqual({ approved: true });
    });

    it('keeps only the hash of the token once the node has ended', async () => {
      // Prepare
      const { harness } = await probeHarness(makeHarness);
      const { runId, token } = await waitingRun(harness);
      const before = await harness.runs.getNode(runId, 'approve');

      // Act
      await harness.engine.complete(TENANT, runId, 'approve', { token, output: 1 });
      await settle(harness);

      // Assess
      expect(before?.completionTokenHash).toBe(sha256(token));
      const after = await harness.runs.getNode(runId, 'approve');
      expect(after?.completionTokenHash).toBe(sha256(token));
      expect(after?.completionToken).toBeUndefined();
      expect(after?.completion).toBeUndefined();
    });

    it('refuses a second completion with 409 and a wrong token with 403, whether or not the node exists', async () => {
      // Prepare
      const { harness } = await probeHarness(makeHarness);
      const { runId, token } = await waitingRun(harness);

      // Act
      const wrong = await refusal(
        harness.engine.complete(TENANT, runId, 'approve', { token: 'x', output: 1 }),
      );
      const missing = await refusal(harness.engine.complete(TENANT, runId, 'nope', { token, output: 1 }));
      const other = await refusal(harness.engine.complete('other', runId, 'approve', { token, output: 1 }));
      await harness.engine.complete(TENANT, runId, 'approve', { token, output: 1 });
      const second = await refusal(harness.engine.complete(TENANT, runId, 'approve', { token, output: 2 }));
      await settle(harness);
      const third = await refusal(harness.engine.complete(TENANT, runId, 'approve', { token, output: 3 }));

      // Assess
      expect([wrong.kind, wrong.code]).toEqual(['forbidden', 'CALLBACK_TOKEN_INVALID']);
      expect([missing.kind, missing.code]).toEqual(['forbidden', 'CALLBACK_TOKEN_INVALID']);
      expect(other.kind).toBe('not_found');
      expect([second.kind, second.code]).toEqual(['conflict', 'CALLBACK_ALREADY_COMPLETED']);
      expect([third.kind, third.code]).toEqual(['conflict', 'CALLBACK_ALREADY_COMPLETED']);
      expect((await harness.view(runId)).nodes.approve?.output).toBe(1);
    });

    it('fails with the error a completion gives, and retries it when the node’s retryOn names it', async () => {
      // Prepare
      const { harness } = await probeHarness(makeHarness);
      const definition = {
        id: 'approval',
        nodes: { approve: { type: 'callback', retry: { maxAttempts: 2, retryOn: ['REJECTED'] } } },
      };
      const { runId, token } = await waitingRun(harness, definition);

      // Act
      const error = { code: 'REJECTED', message: 'not now' };
      await harness.engine.complete(TENANT, runId, 'approve', { token, error });
      await settle(harness);
      harness.clock.advance(HOUR); // past the retry's backoff, long before the day's deadline
      await settle(harness);
      const again = await harness.view(runId);
      const stale = await refusal(harness.engine.complete(TENANT, runId, 'approve', { token, output: 1 }));
      const second = again.nodes.approve?.token ?? '';
      await harness.engine.complete(TENANT, runId, 'approve', { token: second, error });
      await settle(harness);

      // Assess
      expect(again.nodes.approve).toMatchObject({ status: 'WAITING', attempts: 2 });
      expect(second).not.toBe(token);
      expect(stale.code).toBe('CALLBACK_TOKEN_INVALID');
      const run = await harness.view(runId);
      expect(run.status).toBe('FAILED');
      expect(run.nodes.approve).toMatchObject({ status: 'FAILED', attempts: 2, error });
    });

    it('fails with CALLBACK_TIMEOUT when its timeout passes without a completion or heartbeat', async () => {
      // Prepare
      const { harness } = await probeHarness(makeHarness);
      const { runId, token } = await waitingRun(harness);

      // Act
      await harness.drain();
      const late = await refusal(harness.engine.complete(TENANT, runId, 'approve', { token, output: 1 }));

      // Assess
      const run = await harness.view(runId);
      expect(run.status).toBe('FAILED');
      expect(run.nodes.approve).toMatchObject({
        status: 'FAILED',
        attempts: 1,
        error: { code: 'CALLBACK_TIMEOUT' },
      });
      expect(run.nodes.ship?.status).toBe('SKIPPED');
      expect(late.code).toBe('CALLBACK_ALREADY_COMPLETED');
    });

    it('waits a day when the node sets no timeout', async () => {
      // Prepare
      const { harness } = await probeHarness(makeHarness);
      const startedAt = harness.clock.now();
      const definition = {
        id: 'approval',
        defaults: { timeout: '30s' },
        nodes: { approve: { type: 'callback' } },
      };

      // Act
      const { runId } = await waitingRun(harness, definition);

      // Assess
      const view = await harness.view(runId);
      expect(view.nodes.approve?.wakeAt).toBe(new Date(startedAt + 24 * HOUR).toISOString());
    });

    it('moves its deadline one timeout on with each heartbeat', async () => {
      // Prepare
      const { harness } = await probeHarness(makeHarness);
      const startedAt = harness.clock.now();
      const { runId, token } = await waitingRun(harness);

      // Act
      harness.clock.advance(50 * MINUTE);
      const beat = await harness.engine.heartbeat(TENANT, runId, 'approve', token);
      harness.clock.advance(20 * MINUTE);
      await settle(harness); // the first deadline's message: no longer due
      const after = await harness.view(runId);
      await harness.engine.complete(TENANT, runId, 'approve', { token, output: { ok: true } });
      await harness.drain();

      // Assess
      expect(beat.deadline).toBe(new Date(startedAt + 50 * MINUTE + HOUR).toISOString());
      expect(after.nodes.approve).toMatchObject({ status: 'WAITING', wakeAt: beat.deadline });
      expect((await harness.view(runId)).status).toBe('SUCCEEDED');
    });

    it('is cancelled with its run, and a later completion is refused with 409', async () => {
      // Prepare
      const { harness } = await probeHarness(makeHarness);
      const { runId, token } = await waitingRun(harness);

      // Act
      await harness.engine.cancel(TENANT, runId);
      const late = await refusal(harness.engine.complete(TENANT, runId, 'approve', { token, output: 1 }));
      await harness.drain();

      // Assess
      const run = await harness.view(runId);
      expect(run.status).toBe('CANCELLED');
      expect(run.nodes.approve?.status).toBe('CANCELLED');
      expect(run.nodes.approve?.token).toBeUndefined();
      expect(late.code).toBe('CALLBACK_ALREADY_COMPLETED');
    });

    it('waits again with a new token when its cancelled run is retried', async () => {
      // Prepare
      const { harness } = await probeHarness(makeHarness);
      const { runId, token } = await waitingRun(harness);
      await harness.engine.cancel(TENANT, runId);
      await harness.drain();

      // Act
      await harness.engine.retry(TENANT, runId);
      await settle(harness);
      const view = await harness.view(runId);
      const fresh = view.nodes.approve?.token ?? '';
      const stale = await refusal(harness.engine.complete(TENANT, runId, 'approve', { token, output: 1 }));
      await harness.engine.complete(TENANT, runId, 'approve', { token: fresh, output: { ok: true } });
      await settle(harness);

      // Assess
      expect(view.nodes.approve?.status).toBe('WAITING');
      expect(fresh).not.toBe(token);
      expect(stale.code).toBe('CALLBACK_TOKEN_INVALID');
      expect((await harness.view(runId)).status).toBe('SUCCEEDED');
    });

    it('takes a completion while its run is paused and settles it on resume', async () => {
      // Prepare
      const { harness } = await probeHarness(makeHarness);
      const { runId, token } = await waitingRun(harness);
      await harness.engine.pause(TENANT, runId);

      // Act
      await harness.engine.complete(TENANT, runId, 'approve', { token, output: { ok: true } });
      await settle(harness);
      const paused = await harness.view(runId);
      await harness.engine.resume(TENANT, runId);
      await settle(harness);

      // Assess
      expect(paused.nodes.approve?.status).toBe('PARKED');
      const run = await harness.view(runId);
      expect(run.status).toBe('SUCCEEDED');
      expect(run.nodes.approve).toMatchObject({ status: 'SUCCEEDED', attempts: 1, output: { ok: true } });
    });

    it('refuses an output over the node output limit with 422, and the node still waits', async () => {
      // Prepare
      const { harness } = await probeHarness(makeHarness);
      const { runId, token } = await waitingRun(harness);

      // Act
      const big = await refusal(
        harness.engine.complete(TENANT, runId, 'approve', { token, output: 'x'.repeat(300_000) }),
      );

      // Assess
      expect([big.kind, big.code]).toEqual(['unprocessable', 'OUTPUT_TOO_LARGE']);
      expect((await harness.view(runId)).nodes.approve).toMatchObject({ status: 'WAITING', token });
    });
  });
}

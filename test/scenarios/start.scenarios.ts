import { describe, expect, it } from 'vitest';
import { TENANT } from '../../shared/testing/workflow-harness.ts';
import { js, listRunIds, type MakeHarness, refusal, settle } from './scenario-kit.ts';

const typed = {
  id: 'typed',
  inputs: {
    name: { type: 'string', required: true },
    count: { type: 'integer', default: 3 },
    tags: { type: 'array', default: ['a'] },
  },
  outputs: { greeting: '{% $nodes.greet.output %}', inputs: '{% $inputs %}' },
  nodes: {
    greet: js('return inputs.name + " x" + inputs.count', {
      with: { name: '{% $inputs.name %}', count: '{% $inputs.count %}' },
    }),
  },
};

/** `version` says which version the run used: its output is the version it was published as. */
const versioned = (version: string) => ({
  id: 'pinned',
  outputs: { version: '{% $nodes.report.output %}' },
  nodes: {
    pause: { type: 'wait', with: { seconds: 30 } },
    report: js(`return ${JSON.stringify(version)}`, { needs: ['pause'] }),
  },
});

export function startScenarios(makeHarness: MakeHarness) {
  describe('starting a run', () => {
    it('applies input defaults and passes the inputs to expressions and outputs', async () => {
      // Prepare
      const harness = await makeHarness();
      await harness.publish(typed);

      // Act
      const run = await harness.run('typed', { name: 'ada' });

      // Assess
      expect(run.status).toBe('SUCCEEDED');
      expect(run.inputs).toEqual({ name: 'ada', count: 3, tags: ['a'] });
      expect(run.outputs).toEqual({ greeting: 'ada x3', inputs: { name: 'ada', count: 3, tags: ['a'] } });
      expect(run.nodes.greet).toMatchObject({ status: 'SUCCEEDED', attempts: 1, output: 'ada x3' });
    });

    it('refuses inputs that do not match their types with INVALID_INPUTS at the path, starting nothing', async () => {
      // Prepare
      const harness = await makeHarness();
      await harness.publish(typed);

      // Act
      const wrongType = await refusal(harness.start('typed', { name: 'ada', count: 1.5 }));
      const missing = await refusal(harness.start('typed', {}));
      const unknown = await refusal(harness.start('typed', { name: 'ada', colour: 'red' }));

      // Assess
      // The engine says 400; the HTTP layer answers 422 for INVALID_INPUTS (shared/api/routes/runs.ts).
      expect(wrongType).toMatchObject({ code: 'INVALID_INPUTS', kind: 'invalid', path: '$.inputs.count' });
      expect(wrongType.message).toContain('expected integer, got number 1.5');
      expect(missing).toMatchObject({ code: 'INVALID_INPUTS', path: '$.inputs.name' });
      expect(unknown).toMatchObject({ code: 'INVALID_INPUTS', path: '$.inputs.colour' });
      expect(await listRunIds(harness, TENANT)).toEqual([]);
    });

    it('returns the existing run for a repeated idempotencyKey instead of starting a second one', async () => {
      // Prepare
      const harness = await makeHarness();
      await harness.publish(typed);
      const request = {
        tenant: TENANT,
        workflow: 'typed',
        inputs: { name: 'ada' },
        idempotencyKey: 'order-7',
      };
      const first = await harness.engine.startRun(request);

      // Act
      const second = await harness.engine.startRun({ ...request, inputs: { name: 'bob' } });
      await harness.drain();

      // Assess
      expect(first.created).toBe(true);
      expect(second).toMatchObject({ created: false, run: { runId: first.run.runId } });
      expect(await listRunIds(harness, TENANT)).toEqual([first.run.runId]);
      expect((await harness.view(first.run.runId)).outputs).toMatchObject({ greeting: 'ada x3' });
    });

    it('refuses an idempotencyKey reused for another workflow, and keeps keys apart per tenant', async () => {
      // Prepare
      const harness = await makeHarness();
      await harness.publish(typed);
      await harness.publish({
        id: 'other',
        inputs: { name: { type: 'string' } },
        nodes: { a: { type: 'noop' } },
      });
      await harness.publish(typed, '1.0.0', 'tenant-b');
      const key = { idempotencyKey: 'shared-key', inputs: { name: 'ada' } };
      const first = await harness.engine.startRun({ tenant: TENANT, workflow: 'typed', ...key });

      // Act
      const reused = await refusal(harness.engine.startRun({ tenant: TENANT, workflow: 'other', ...key }));
      const elsewhere = await harness.engine.startRun({ tenant: 'tenant-b', workflow: 'typed', ...key });
      const badKey = await refusal(harness.start('typed', { name: 'ada' }, { idempotencyKey: 'has space' }));

      // Assess
      expect(reused).toMatchObject({
        code: 'IDEMPOTENCY_KEY_REUSED',
        kind: 'conflict',
        path: '$.idempotencyKey',
      });
      expect(elsewhere.created).toBe(true);
      expect(elsewhere.run.runId).not.toBe(first.run.runId);
      expect(badKey).toMatchObject({ kind: 'invalid', path: '$.idempotencyKey' });
    });

    it('keeps a run on the version it started with when a newer one is published mid-run', async () => {
      // Prepare
      const harness = await makeHarness();
      await harness.publish(versioned('1.0.0'), '1.0.0');
      const runId = await harness.start('pinned');
      await settle(harness);

      // Act
      await harness.publish(versioned('1.1.0'), '1.1.0');
      await harness.drain();
      const later = await harness.run('pinned');

      // Assess
      const run = await harness.view(runId);
      expect(run).toMatchObject({ status: 'SUCCEEDED', version: '1.0.0', outputs: { version: '1.0.0' } });
      expect(later).toMatchObject({ status: 'SUCCEEDED', version: '1.1.0', outputs: { version: '1.1.0' } });
    });

    it('resolves a range to the highest matching version and an exact version to itself', async () => {
      // Prepare
      const harness = await makeHarness();
      for (const version of ['1.0.0', '1.2.0', '2.0.0']) await harness.publish(versioned(version), version);

      // Act
      const caret = await harness.run('pinned', undefined, { version: '^1.0.0' });
      const exact = await harness.run('pinned', undefined, { version: '1.0.0' });
      const latest = await harness.run('pinned');

      // Assess
      expect(caret).toMatchObject({ version: '1.2.0', outputs: { version: '1.2.0' } });
      expect(exact).toMatchObject({ version: '1.0.0', outputs: { version: '1.0.0' } });
      expect(latest).toMatchObject({ version: '2.0.0', outputs: { version: '2.0.0' } });
    });

    it('answers 404 for an unknown workflow, version or unmatched range, and 400 for a malformed one', async () => {
      // Prepare
      const harness = await makeHarness();
      await harness.publish(versioned('1.0.0'), '1.0.0');

      // Act
      const workflow = await refusal(harness.start('nope'));
      const version = await refusal(harness.start('pinned', undefined, { version: '1.5.0' }));
      const range = await refusal(harness.start('pinned', undefined, { version: '^3.0.0' }));
      const malformed = await refusal(harness.start('pinned', undefined, { version: 'one' }));

      // Assess
      expect(workflow).toMatchObject({ code: 'NOT_FOUND', kind: 'not_found' });
      expect(version).toMatchObject({ code: 'NOT_FOUND', kind: 'not_found', path: '$.version' });
      expect(version.message).toContain('latest is 1.0.0');
      expect(range).toMatchObject({ code: 'NOT_FOUND', kind: 'not_found', path: '$.version' });
      expect(malformed).toMatchObject({ kind: 'invalid', path: '$.version' });
    });
  });

  describe('listing runs', () => {
    it('lists runs newest first, filtered by workflow and by status', async () => {
      // Prepare
      const harness = await makeHarness();
      await harness.publish({ id: 'ok', nodes: { a: { type: 'noop' } } });
      await harness.publish({ id: 'bad', nodes: { a: js('throw new Error("no")') } });
      const first = await harness.run('ok');
      const second = await harness.run('bad');
      const third = await harness.run('ok');
      const waiting = await harness.start('ok');

      // Act
      const all = await listRunIds(harness, TENANT);
      const ok = await listRunIds(harness, TENANT, { workflow: 'ok' });
      const failed = await listRunIds(harness, TENANT, { status: 'FAILED' });
      const okSucceeded = await listRunIds(harness, TENANT, { workflow: 'ok', status: 'SUCCEEDED' });
      const running = await listRunIds(harness, TENANT, { status: 'RUNNING' });
      const firstPage = await harness.engine.listRuns(TENANT, { limit: 2 });
      const otherTenant = await listRunIds(harness, 'someone-else');

      // Assess
      expect(all).toEqual([waiting, third.runId, second.runId, first.runId]);
      expect(ok).toEqual([waiting, third.runId, first.runId]);
      expect(failed).toEqual([second.runId]);
      expect(okSucceeded).toEqual([third.runId, first.runId]);
      expect(running).toEqual([waiting]);
      expect(firstPage.items.map((run) => run.runId)).toEqual([waiting, third.runId]);
      expect(firstPage.cursor).toBeDefined();
      expect(otherTenant).toEqual([]);
    });
  });
}

import { describe, expect, it } from 'vitest';
import { HOUR, js, lua, type MakeHarness, probeHarness } from './scenario-kit.ts';

const diamond = {
  id: 'diamond',
  inputs: { n: { type: 'number', default: 2 } },
  outputs: { total: '{% $nodes.sum.output %}', parts: '{% [$nodes.js.output, $nodes.lua.output] %}' },
  nodes: {
    start: js('return inputs.n * 10', { with: { n: '{% $inputs.n %}' } }),
    js: js('return { value: inputs.x + 1, attempt: ctx.attempt, node: ctx.nodeId }', {
      needs: ['start'],
      with: { x: '{% $nodes.start.output %}' },
    }),
    lua: lua('return inputs.x + inputs.k', {
      needs: ['start'],
      with: { x: '{% $nodes.start.output %}', k: '{% $inputs.n %}' },
    }),
    sum: js('return inputs.a + inputs.b', {
      needs: ['js', 'lua'],
      with: { a: '{% $nodes.js.output.value %}', b: '{% $nodes.lua.output %}' },
    }),
  },
};

export function nodeScenarios(makeHarness: MakeHarness) {
  describe('script nodes', () => {
    it('runs js and lua scripts on their evaluated `with` and evaluates the run outputs', async () => {
      // Prepare
      const harness = await makeHarness();
      await harness.publish(diamond);

      // Act
      const run = await harness.run('diamond', { n: 3 });

      // Assess
      expect(run.status).toBe('SUCCEEDED');
      expect(run.nodes.start).toMatchObject({ status: 'SUCCEEDED', attempts: 1, output: 30 });
      expect(run.nodes.js).toMatchObject({
        status: 'SUCCEEDED',
        output: { value: 31, attempt: 1, node: 'js' },
      });
      expect(run.nodes.lua).toMatchObject({ status: 'SUCCEEDED', attempts: 1, output: 33 });
      expect(run.nodes.sum).toMatchObject({ status: 'SUCCEEDED', attempts: 1, output: 64 });
      expect(run.outputs).toEqual({ total: 64, parts: [{ value: 31, attempt: 1, node: 'js' }, 33] });
      expect(run.progress).toMatchObject({ total: 4, done: 4, percent: 100 });
    });

    it('fails the node and the run with the script error, the run error naming the node', async () => {
      // Prepare
      const harness = await makeHarness();
      await harness.publish({ id: 'oops', nodes: { bad: lua('error("no luck")') } });

      // Act
      const run = await harness.run('oops');

      // Assess
      expect(run.status).toBe('FAILED');
      expect(run.nodes.bad).toMatchObject({ status: 'FAILED', attempts: 1, error: { code: 'SCRIPT_ERROR' } });
      expect(run.nodes.bad?.error?.message).toContain('no luck');
      expect(run.error).toMatchObject({ code: 'SCRIPT_ERROR', nodeId: 'bad' });
      expect(run.outputs).toBeUndefined();
    });

    it('fails a node whose `with` expression fails, with EXPRESSION and the path', async () => {
      // Prepare
      const harness = await makeHarness();
      await harness.publish({
        id: 'expr',
        nodes: { a: js('return 1', { with: { x: '{% $error("nope") %}' } }) },
      });

      // Act
      const run = await harness.run('expr');

      // Assess
      expect(run.status).toBe('FAILED');
      expect(run.nodes.a).toMatchObject({ status: 'FAILED', error: { code: 'EXPRESSION' } });
      expect(run.nodes.a?.error?.message).toContain('nope');
    });
  });

  describe('limits and unavailable types', () => {
    it('fails a node of a type this deployment has no executor for with NODE_TYPE_UNAVAILABLE', async () => {
      // Prepare
      const harness = await makeHarness();
      await harness.publish({
        id: 'sfn',
        nodes: {
          ask: { type: 'stepfunctions', stateMachineArn: 'arn:aws:states:eu-west-1:1:stateMachine:m' },
        },
      });

      // Act
      const run = await harness.run('sfn');

      // Assess
      expect(run.status).toBe('FAILED');
      expect(run.nodes.ask).toMatchObject({
        status: 'FAILED',
        attempts: 1,
        error: { code: 'NODE_TYPE_UNAVAILABLE' },
      });
      expect(run.nodes.ask?.error?.message).toContain('node type "stepfunctions" is not available');
      expect(run.error).toMatchObject({ code: 'NODE_TYPE_UNAVAILABLE', nodeId: 'ask' });
    });

    it('fails a lambda node whose function the deployment does not allow with LAMBDA_NOT_ALLOWED, at once', async () => {
      // Prepare
      const harness = await makeHarness();
      await harness.publish({
        id: 'lambda',
        nodes: { call: { type: 'lambda', function: 'f', retry: { maxAttempts: 3 } } },
      });

      // Act
      const run = await harness.run('lambda');

      // Assess
      expect(run.status).toBe('FAILED');
      expect(run.nodes.call).toMatchObject({
        status: 'FAILED',
        attempts: 1,
        error: { code: 'LAMBDA_NOT_ALLOWED' },
      });
    });

    it('fails a node whose output is over 256 KB with OUTPUT_TOO_LARGE naming the node', async () => {
      // Prepare
      const { harness, probe } = await probeHarness(makeHarness);
      probe.on('huge', () => ({ kind: 'succeeded', output: 'x'.repeat(300 * 1024) }));
      await harness.publish({
        id: 'big',
        nodes: {
          huge: { type: 'noop' },
          script: js('return "y".repeat(300 * 1024)'),
          after: { type: 'noop', needs: ['huge'] },
        },
      });

      // Act
      const run = await harness.run('big');

      // Assess
      expect(run.status).toBe('FAILED');
      expect(run.nodes.huge).toMatchObject({ status: 'FAILED', error: { code: 'OUTPUT_TOO_LARGE' } });
      expect(run.nodes.huge?.error?.message).toContain('node "huge"');
      expect(run.nodes.huge?.output).toBeUndefined();
      expect(run.nodes.script).toMatchObject({ status: 'FAILED', error: { code: 'OUTPUT_TOO_LARGE' } });
      expect(run.nodes.script?.error?.message).toContain('node "script"');
      expect(run.nodes.after).toMatchObject({ status: 'SKIPPED', attempts: 0 });
    });
  });

  describe('run outputs', () => {
    it('fails a run whose outputs are over 256 KB in all, though each node output fits', async () => {
      // Prepare
      const { harness, probe } = await probeHarness(makeHarness);
      const half = () => ({ kind: 'succeeded' as const, output: 'z'.repeat(150 * 1024) });
      probe.on('a', half).on('b', half);
      await harness.publish({
        id: 'wide',
        outputs: { a: '{% $nodes.a.output %}', b: '{% $nodes.b.output %}' },
        nodes: { a: { type: 'noop' }, b: { type: 'noop' } },
      });

      // Act
      const run = await harness.run('wide');

      // Assess
      expect(run.status).toBe('FAILED');
      expect(run.error).toMatchObject({ code: 'OUTPUT_TOO_LARGE' });
      expect(run.outputs).toBeUndefined();
      expect(run.nodes.a?.status).toBe('SUCCEEDED');
    });

    it('fails a run whose outputs expression fails, naming the outputs', async () => {
      // Prepare
      const harness = await makeHarness();
      await harness.publish({
        id: 'bad-outputs',
        outputs: { x: '{% $error("no outputs") %}' },
        nodes: { a: { type: 'noop' } },
      });

      // Act
      const run = await harness.run('bad-outputs');

      // Assess
      expect(run.status).toBe('FAILED');
      expect(run.error).toMatchObject({ code: 'OUTPUTS' });
      expect(run.error?.message).toContain('no outputs');
      expect(run.nodes.a?.status).toBe('SUCCEEDED');
    });
  });

  describe('wait nodes', () => {
    it('resumes a 30 s wait through a delayed message and then runs its child', async () => {
      // Prepare
      const harness = await makeHarness();
      await harness.publish({
        id: 'short',
        nodes: {
          pause: { type: 'wait', with: { duration: '30s' } },
          after: js('return 1', { needs: ['pause'] }),
        },
      });
      const startedAt = harness.clock.now();
      const runId = await harness.start('short');
      await harness.step();
      const waiting = await harness.view(runId);

      // Act
      await harness.drain();

      // Assess
      expect(waiting.nodes.pause).toMatchObject({
        status: 'WAITING',
        attempts: 1,
        wakeAt: new Date(startedAt + 30_000).toISOString(),
      });
      const run = await harness.view(runId);
      expect(run.status).toBe('SUCCEEDED');
      expect(run.nodes.pause).toMatchObject({ status: 'SUCCEEDED', attempts: 1 });
      expect(run.nodes.pause?.wakeAt).toBeUndefined();
      expect(run.nodes.after).toMatchObject({ status: 'SUCCEEDED', output: 1 });
      expect(harness.clock.now() - startedAt).toBeGreaterThanOrEqual(30_000);
      expect(Date.parse(run.endedAt ?? '') - startedAt).toBe(30_000);
    });

    it('resumes a 2 h wait through the timer in 15-minute hops', async () => {
      // Prepare
      const harness = await makeHarness();
      await harness.publish({ id: 'long', nodes: { pause: { type: 'wait', with: { seconds: 2 * 3600 } } } });
      const startedAt = harness.clock.now();

      // Act
      const run = await harness.run('long');

      // Assess
      expect(run.status).toBe('SUCCEEDED');
      expect(run.nodes.pause).toMatchObject({
        status: 'SUCCEEDED',
        attempts: 1,
        output: { resumedAt: new Date(startedAt + 2 * HOUR).toISOString() },
      });
      expect(harness.clock.now() - startedAt).toBeGreaterThanOrEqual(2 * HOUR);
      // 8 hops of 15 minutes, then the node message itself: a relay per hop, not a busy loop.
      expect(harness.handled).toBeGreaterThanOrEqual(9);
      expect(harness.handled).toBeLessThan(20);
    });

    it('fails a wait node with WAIT_INVALID when its `with` evaluates to no valid time', async () => {
      // Prepare: a time written in the definition is checked at publish; one computed is not
      const harness = await makeHarness();
      await harness.publish({
        id: 'bad-wait',
        nodes: { pause: { type: 'wait', with: { seconds: '{% 0 - 5 %}' } } },
      });

      // Act
      const run = await harness.run('bad-wait');

      // Assess
      expect(run.status).toBe('FAILED');
      expect(run.nodes.pause).toMatchObject({
        status: 'FAILED',
        attempts: 1,
        error: { code: 'WAIT_INVALID' },
      });
    });
  });
}

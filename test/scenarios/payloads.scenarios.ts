import { describe, expect, it } from 'vitest';
import { TENANT } from '../../shared/testing/workflow-harness.ts';
import { type MakeHarness, probeHarness, settle } from './scenario-kit.ts';

const KB = 1024;
const text = (kb: number, letter = 'x') => letter.repeat(kb * KB);

/**
 * Large values through the engine: outputs, inputs, run outputs and completions over the payload
 * threshold (64 KB by default) read back by expressions and the run view as if they were inline,
 * and the SPEC limits (256 KB per node output and run input) refused as before. Run them on a
 * store that offloads (`OffloadingRunStore`) and on one that does not: the answers are the same.
 */
export function payloadScenarios(makeHarness: MakeHarness) {
  describe('large payloads', () => {
    it('passes a 200 KB node output to a later node’s expressions and to the run outputs', async () => {
      // Prepare
      const { harness, probe } = await probeHarness(makeHarness);
      probe.on('big', () => ({ kind: 'succeeded', output: { body: text(200), n: 7 } }));
      await harness.publish({
        id: 'large',
        outputs: { length: '{% $nodes.read.output.length %}' },
        nodes: {
          big: { type: 'noop' },
          read: {
            type: 'noop',
            needs: ['big'],
            with: { length: '{% $length($nodes.big.output.body) %}', n: '{% $nodes.big.output.n %}' },
          },
        },
      });

      // Act
      const run = await harness.run('large');

      // Assess
      expect([run.status, run.error]).toEqual(['SUCCEEDED', undefined]);
      expect(run.nodes.big?.output).toEqual({ body: text(200), n: 7 });
      expect(run.nodes.read?.output).toEqual({ length: 200 * KB, n: 7 });
      expect(run.outputs).toEqual({ length: 200 * KB });
    });

    it('still fails a 300 KB node output with OUTPUT_TOO_LARGE naming the node', async () => {
      // Prepare
      const { harness, probe } = await probeHarness(makeHarness);
      probe.on('huge', () => ({ kind: 'succeeded', output: text(300) }));
      await harness.publish({ id: 'huge', nodes: { huge: { type: 'noop' } } });

      // Act
      const run = await harness.run('huge');

      // Assess
      expect(run.status).toBe('FAILED');
      expect(run.nodes.huge).toMatchObject({ status: 'FAILED', error: { code: 'OUTPUT_TOO_LARGE' } });
      expect(run.nodes.huge?.error?.message).toContain('node "huge"');
      expect(run.nodes.huge?.output).toBeUndefined();
    });

    it('keeps 100 KB of run inputs for expressions and the view, and still refuses 300 KB', async () => {
      // Prepare
      const harness = await makeHarness();
      await harness.publish({
        id: 'echo',
        inputs: { note: { type: 'string' } },
        outputs: { note: '{% $inputs.note %}' },
        nodes: { a: { type: 'noop', with: { head: '{% $substring($inputs.note, 0, 3) %}' } } },
      });

      // Act
      const run = await harness.run('echo', { note: text(100, 'i') });
      const refused = await harness.engine
        .startRun({ tenant: TENANT, workflow: 'echo', inputs: { note: text(300, 'i') } })
        .catch((error: unknown) => error);

      // Assess
      expect(run.status).toBe('SUCCEEDED');
      expect(run.inputs).toEqual({ note: text(100, 'i') });
      expect(run.outputs).toEqual({ note: text(100, 'i') });
      expect(run.nodes.a?.output).toEqual({ head: 'iii' });
      expect(refused).toMatchObject({ code: 'INVALID_INPUTS' });
      expect((refused as Error).message).toContain('over the limit of 262144 bytes');
    });

    it('hands a 150 KB callback completion to the node and its children', async () => {
      // Prepare
      const { harness } = await probeHarness(makeHarness);
      await harness.publish({
        id: 'approval',
        nodes: {
          approve: { type: 'callback', timeout: '1h' },
          ship: {
            type: 'noop',
            needs: ['approve'],
            with: { size: '{% $length($nodes.approve.output.doc) %}' },
          },
        },
      });
      const runId = await harness.start('approval');
      await settle(harness);
      const token = (await harness.view(runId)).nodes.approve?.token ?? '';

      // Act
      await harness.engine.complete(TENANT, runId, 'approve', { token, output: { doc: text(150) } });
      await harness.drain();
      const run = await harness.view(runId);

      // Assess
      expect(run.status).toBe('SUCCEEDED');
      expect(run.nodes.approve?.output).toEqual({ doc: text(150) });
      expect(run.nodes.ship?.output).toEqual({ size: 150 * KB });
    });
  });
}

/**
 * What only a store that offloads can do: keep a value over DynamoDB's 400 KB item limit, as a
 * `map` node collecting many outputs makes (up to `LIMITS.maxMapOutputBytes`).
 */
export function offloadedPayloadScenarios(makeHarness: MakeHarness) {
  describe('values over the item limit', () => {
    it('keeps a 600 KB map output and hands it to a later node', async () => {
      // Prepare
      const harness = await makeHarness();
      await harness.publish({
        id: 'wide-map',
        nodes: {
          big: {
            type: 'map',
            items: '{% [1..300] %}',
            maxConcurrency: 20,
            node: { type: 'script', language: 'js', code: 'return "m".repeat(2048)' },
          },
          read: { type: 'noop', needs: ['big'], with: { count: '{% $count($nodes.big.output) %}' } },
        },
      });

      // Act
      const run = await harness.run('wide-map');

      // Assess
      expect([run.status, run.error]).toEqual(['SUCCEEDED', undefined]);
      expect(Buffer.byteLength(JSON.stringify(run.nodes.big?.output))).toBeGreaterThan(600 * KB);
      expect(run.nodes.read?.output).toEqual({ count: 300 });
    }, 120_000); // 300 items of 2 KB through scripts: seconds of CPU, more on a loaded machine
  });
}

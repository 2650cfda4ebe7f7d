import { describe, expect, it } from 'vitest';
import { WorkflowHarness } from '../../../shared/testing/workflow-harness.ts';
describe('smoke', () => {
  it('runs a diamond', async () => {
    const h = new WorkflowHarness();
    await h.publish({ id: 'd', inputs: { n: { type: 'number', default: 2 } }, outputs: { total: '{% $nodes.d.output %}' }, nodes: {
      a: { type: 'script', language: 'js', code: 'return inputs.n * 10', with: { n: '{% $inputs.n %}' } },
      b: { type: 'script', language: 'js', code: 'return inputs.x + 1', needs: ['a'], with: { x: '{% $nodes.a.output %}' } },
      c: { type: 'script', language: 'lua', code: 'return inputs.x + 2', needs: ['a'], with: { x: '{% $nodes.a.output %}' } },
      d: { type: 'script', language: 'js', code: 'return inputs.b + inputs.c', needs: ['b', 'c'], with: { b: '{% $nodes.b.output %}', c: '{% $nodes.c.output %}' } },
    } });
    const run = await h.run('d');
    console.log(JSON.stringify(run, null, 1).slice(0, 3000));
    console.log(h.events.map(e => `${e.type} ${e.nodeId ?? ''}`).join('\n'));
    expect(run.status).toBe('SUCCEEDED');
  });
});

import { describe, expect, it } from 'vitest';
import { MemoryQueue } from '../../shared/adapters/memory/queue.ts';
import { PooledQueue } from '../../shared/adapters/pooled-queue.ts';
import { WorkflowHarness } from '../../shared/testing/workflow-harness.ts';

describe('PooledQueue', () => {
  it('sends each message to its pool and unknown pools to the default one', async () => {
    // Prepare
    const standard = new MemoryQueue();
    const gpu = new MemoryQueue();
    const queue = new PooledQueue({ default: standard, gpu });

    // Act
    await queue.send([{ body: 'a' }, { body: 'b', pool: 'gpu' }, { body: 'c', pool: 'nowhere' }]);

    // Assess
    expect((await standard.receive()).map((m) => m.body)).toEqual(['a', 'c']);
    expect((await gpu.receive()).map((m) => m.body)).toEqual(['b']);
  });

  it('refuses a set of pools without a default pool', () => {
    // Act / Assess
    expect(() => new PooledQueue({ gpu: new MemoryQueue() })).toThrow(/"default" pool/);
  });
});

describe('the engine with worker pools', () => {
  it('enqueues each node on the queue of its pool', async () => {
    // Prepare
    const harness = new WorkflowHarness();
    const sent: { body: string; pool?: string }[] = [];
    const send = harness.queue.send.bind(harness.queue);
    harness.queue.send = async (messages) => {
      sent.push(...messages);
      return send(messages);
    };
    await harness.publish({
      id: 'pools',
      nodes: { a: { type: 'noop' }, b: { type: 'noop', needs: ['a'], pool: 'heavy' } },
    });

    // Act
    const run = await harness.run('pools');

    // Assess
    expect(run.status).toBe('SUCCEEDED');
    expect(sent.map((m) => [JSON.parse(m.body).n, m.pool])).toEqual([
      ['a', undefined],
      ['b', 'heavy'],
    ]);
  });
});

import { describe, expect, it } from 'vitest';
import { spawnKeyOf } from '../../../shared/engine/child-spawn.ts';
import { WorkflowExecutor } from '../../../shared/executors/workflow.ts';
import type { CompletionOutcome } from '../../../shared/ports/executor.ts';
import { testContext } from './test-context.ts';

const NOW = Date.UTC(2026, 0, 1);

const ctx = (completion?: CompletionOutcome) => testContext({ runId: 'r1', nodeId: 'call', completion });

describe('WorkflowExecutor', () => {
  const executor = new WorkflowExecutor();
  const node = { type: 'workflow' as const, workflow: 'child-greeting', version: '^1.2.0' };

  it('declares that it waits for a completion, inline', () => {
    expect([executor.type, executor.inline, executor.awaitsCompletion]).toEqual(['workflow', true, true]);
  });

  it('asks for one child run with its inputs, and a deadline only when the node has a timeout', async () => {
    // Act
    const plain = await executor.execute({ node, inputs: { name: 'Ada' }, ctx: ctx() });
    const timed = await executor.execute({ node: { ...node, timeout: '1h' }, inputs: undefined, ctx: ctx() });

    // Assess
    expect(plain).toEqual({
      kind: 'spawn',
      children: [{ kind: 'run', workflow: 'child-greeting', version: '^1.2.0', inputs: { name: 'Ada' } }],
    });
    expect(timed).toMatchObject({ kind: 'spawn', until: NOW + 3_600_000, children: [{ inputs: {} }] });
  });

  it("takes the child's outputs, and fails with its end: retryable unless cancelled", async () => {
    // Act
    const done = await executor.execute({
      node,
      inputs: {},
      ctx: ctx({ kind: 'completed', output: { a: 1 } }),
    });
    const failedChild = await executor.execute({
      node,
      inputs: {},
      ctx: ctx({ kind: 'errored', error: { code: 'CHILD_FAILED', message: 'boom' } }),
    });
    const cancelled = await executor.execute({
      node,
      inputs: {},
      ctx: ctx({ kind: 'errored', error: { code: 'CHILD_CANCELLED', message: 'stop' } }),
    });
    const expired = await executor.execute({
      node,
      inputs: {},
      ctx: ctx({ kind: 'expired', deadline: '2026-01-01T01:00:00.000Z' }),
    });

    // Assess
    expect(done).toEqual({ kind: 'succeeded', output: { a: 1 } });
    expect(failedChild).toMatchObject({ kind: 'failed', error: { code: 'CHILD_FAILED', retryable: true } });
    expect(cancelled).toMatchObject({ kind: 'failed', error: { code: 'CHILD_CANCELLED', retryable: false } });
    expect(expired).toMatchObject({ kind: 'failed', error: { code: 'WORKFLOW_TIMEOUT', retryable: false } });
  });
});

describe('spawnKeyOf', () => {
  it('names the run, node, attempt and epoch, and hashes what would pass 128 characters', () => {
    expect(spawnKeyOf('R1', 'call', 2, 3)).toBe('wf/R1/call/3/e2');
    const long = spawnKeyOf('R'.repeat(60), 'n'.repeat(80), 0, 1);
    expect(long).toMatch(/^wf\/[0-9a-f]{64}$/);
  });
});

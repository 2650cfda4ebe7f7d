import { describe, expect, it } from 'vitest';
import { createSweeperHandler } from '../../../shared/handlers/sweeper.ts';
import { WorkflowHarness } from '../../../shared/testing/workflow-harness.ts';

describe('the sweeper handler', () => {
  it('returns what it swept', async () => {
    // Prepare
    const harness = new WorkflowHarness();
    await harness.publish({ id: 'one', nodes: { a: { type: 'noop' } } });
    await harness.run('one');

    // Act
    const report = await createSweeperHandler({ engine: harness.engine })();

    // Assess
    expect(report).toEqual({ runsChecked: 0, timedOut: 0, requeued: 0, controls: 0, released: 0, errors: 0 });
  });
});

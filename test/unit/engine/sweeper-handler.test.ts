import { describe, expect, it } from 'vitest';
import { createSweeperHandler } from '../../../shared/handlers/sweeper.ts';
import { WorkflowHarness } from '../../../shared/testing/workflow-harness.ts';
import { MINUTE } from '../../scenarios/scenario-kit.ts';

describe('createSweeperHandler', () => {
  it("fits the sweep into the invocation's remaining time, and the next invocation goes on", async () => {
    // Prepare
    const harness = new WorkflowHarness();
    await harness.publish({ id: 'nap', nodes: { nap: { type: 'wait', with: { duration: '1h' } } } });
    for (let i = 0; i < 3; i++) await harness.start('nap');
    harness.clock.advance(2 * MINUTE);
    const handler = createSweeperHandler({ engine: harness.engine });

    // Act
    const nearlyOut = await handler({}, { getRemainingTimeInMillis: () => 15_000 });
    const plenty = await handler({}, { getRemainingTimeInMillis: () => 59_000 });

    // Assess
    expect(nearlyOut).toMatchObject({ cutShort: true, runsChecked: 0 });
    expect(plenty).toMatchObject({ runsChecked: 3 });
    expect(plenty.cutShort).toBeUndefined();
  });
});

import { describe, expect, it } from 'vitest';
import { MemoryDefinitionStore } from '../../../shared/adapters/memory/definition-store.ts';
import type { VersionRecord } from '../../../shared/ports/definition-store.ts';
import { WorkflowHarness } from '../../../shared/testing/workflow-harness.ts';

/** A definition store that counts the versions it reads (each is a parse of the whole definition). */
class CountingDefinitions extends MemoryDefinitionStore {
  versionReads = 0;
  override getVersion(
    tenant: string,
    workflowId: string,
    version: string,
  ): Promise<VersionRecord | undefined> {
    this.versionReads += 1;
    return super.getVersion(tenant, workflowId, version);
  }
}

describe('starting runs of a published version', () => {
  it('reads the version once for any number of runs and nodes, since a version never changes', async () => {
    // Prepare
    const definitions = new CountingDefinitions();
    const harness = new WorkflowHarness({ definitions });
    await harness.publish({ id: 'pair', nodes: { a: { type: 'noop' }, b: { type: 'noop', needs: ['a'] } } });
    definitions.versionReads = 0;

    // Act
    const runs = [];
    for (let i = 0; i < 5; i += 1) runs.push(await harness.run('pair'));
    const missing = await harness
      .start('pair', undefined, { version: '9.0.0' })
      .catch((error: Error) => error);

    // Assess
    expect(runs.map((run) => run.status)).toEqual(Array(5).fill('SUCCEEDED'));
    expect(missing).toMatchObject({ code: 'NOT_FOUND', path: '$.version' });
    // One read for 1.0.0 (then the engine's plan), one for the missing version (not kept).
    expect(definitions.versionReads).toBe(2);
  });
});

import { describe, expect, it } from 'vitest';
import { MemoryDefinitionStore } from '../../shared/adapters/memory/definition-store.ts';
import { publishDefinition } from '../../shared/engine/publish-definition.ts';
import { FakeClock } from '../../shared/ports/clock.ts';

const body = (description: string) => ({ description, nodes: { a: { type: 'noop' } } });

function setup() {
  const deps = { definitions: new MemoryDefinitionStore(), clock: new FakeClock() };
  const publish = (version: string, b: unknown = body('v'), workflowId = 'wf') =>
    publishDefinition(deps, { tenant: 't1', workflowId, version, body: b });
  return { deps, publish };
}

describe('publishDefinition', () => {
  it('publishes a first version and tracks latest and major heads', async () => {
    // Prepare
    const { deps, publish } = setup();
    // Act
    await publish('1.0.0');
    await publish('2.0.0');
    await publish('1.1.0');
    // Assess
    expect(await deps.definitions.getWorkflow('t1', 'wf')).toMatchObject({
      latest: '2.0.0',
      heads: { '1': '1.1.0', '2': '2.0.0' },
      versionCount: 3,
      revision: 3,
    });
  });

  it('is idempotent for the identical body and refuses another body under the same version', async () => {
    const { publish } = setup();
    expect((await publish('1.0.0')).created).toBe(true);
    expect((await publish('1.0.0')).created).toBe(false);
    await expect(publish('1.0.0', body('changed'))).rejects.toMatchObject({
      kind: 'conflict',
      code: 'VERSION_EXISTS',
    });
  });

  it('refuses a version lower than the latest of its major line', async () => {
    const { publish } = setup();
    await publish('1.5.0');
    await expect(publish('1.4.9')).rejects.toMatchObject({
      kind: 'conflict',
      message: expect.stringContaining('1.5.0'),
    });
  });

  it('keeps a release as latest over a later prerelease', async () => {
    const { deps, publish } = setup();
    await publish('1.0.0');
    await publish('2.0.0-rc.1');
    expect((await deps.definitions.getWorkflow('t1', 'wf'))?.latest).toBe('1.0.0');
  });

  it('refuses an invalid definition with every problem listed', async () => {
    const { publish } = setup();
    await expect(
      publish('1.0.0', { nodes: { a: { type: 'noop', needs: ['a', 'zz'] } } }),
    ).rejects.toMatchObject({
      kind: 'unprocessable',
      code: 'INVALID_DEFINITION',
      details: [
        expect.objectContaining({ code: 'SELF_DEPENDENCY' }),
        expect.objectContaining({ code: 'UNKNOWN_NODE' }),
      ],
    });
  });

  it('refuses a body whose id or version disagrees with the URL', async () => {
    const { publish } = setup();
    await expect(publish('1.0.0', { ...body('x'), id: 'other' })).rejects.toMatchObject({
      code: 'ID_MISMATCH',
      path: '$.id',
    });
    await expect(publish('1.0.0', { ...body('x'), version: '2.0.0' })).rejects.toMatchObject({
      code: 'VERSION_MISMATCH',
    });
  });

  it('serialises concurrent publishes: exactly one of two different bodies wins a version', async () => {
    // Prepare
    const { publish } = setup();
    // Act
    const results = await Promise.allSettled([publish('1.0.0', body('one')), publish('1.0.0', body('two'))]);
    // Assess
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.find((r) => r.status === 'rejected')).toMatchObject({
      reason: { code: 'VERSION_EXISTS' },
    });
  });

  it('records the workflows a definition calls, with what each call reads and gives', async () => {
    const { publish } = setup();
    await publish('1.2.0', { outputs: { total: 1 }, nodes: { a: { type: 'noop' } } }, 'billing');
    const result = await publish('1.0.0', {
      outputs: { charged: '{% $nodes.child.output.total %}' },
      nodes: { child: { type: 'workflow', workflow: 'billing', version: '^1.2.0', with: { orderId: 7 } } },
    });
    expect(result.record.dependencies).toEqual([
      { workflowId: 'billing', range: '^1.2.0', nodeId: 'child', reads: ['total'], supplies: ['orderId'] },
    ]);
  });

  describe('against the pools’ function timeouts', () => {
    const pooled = () => {
      const deps = {
        definitions: new MemoryDefinitionStore(),
        clock: new FakeClock(),
        poolTimeoutsMs: { default: 60_000, gpu: 900_000 },
      };
      return (b: unknown) =>
        publishDefinition(deps, { tenant: 't1', workflowId: 'wf', version: '1.0.0', body: b });
    };

    it('refuses a node whose timeout is longer than its pool can run, naming the pool and the path', async () => {
      const publish = pooled();
      await expect(
        publish({ nodes: { train: { type: 'noop', timeout: '10m' }, ok: { type: 'noop', timeout: '55s' } } }),
      ).rejects.toMatchObject({
        kind: 'unprocessable',
        code: 'INVALID_DEFINITION',
        path: '$.nodes.train.timeout',
        details: [
          expect.objectContaining({
            code: 'LIMIT',
            path: '$.nodes.train.timeout',
            message: expect.stringMatching(
              /pool "default" can run a node \(55 s.*pools: default 60 s, gpu 900 s/,
            ),
          }),
        ],
      });
    });

    it('refuses an inherited defaults.timeout once, listing the nodes that use it', async () => {
      const publish = pooled();
      await expect(
        publish({ defaults: { timeout: '5m' }, nodes: { a: { type: 'noop' }, b: { type: 'noop' } } }),
      ).rejects.toMatchObject({
        details: [
          expect.objectContaining({
            path: '$.defaults.timeout',
            message: expect.stringContaining('"a", "b"'),
          }),
        ],
      });
    });

    it('accepts a long node on a pool that can hold it, and waits of any length', async () => {
      const publish = pooled();
      const result = await publish({
        nodes: {
          train: { type: 'noop', timeout: '10m', pool: 'gpu' },
          nap: { type: 'wait', timeout: '2h', with: { seconds: 3600 } },
        },
      });
      expect(result.created).toBe(true);
    });
  });
});

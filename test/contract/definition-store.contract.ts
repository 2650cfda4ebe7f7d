import { randomBytes, randomUUID } from 'node:crypto';
import semver from 'semver';
import { describe, expect, it } from 'vitest';
import type { WorkflowDefinition } from '../../shared/domain/definition-schema.ts';
import {
  ConcurrentPublishError,
  type DefinitionStore,
  type VersionRecord,
  type WorkflowRecord,
} from '../../shared/ports/definition-store.ts';
import type { Page, PageRequest } from '../../shared/ports/page.ts';

/**
 * The DefinitionStore contract, run against every adapter. Each test works in its own tenant, so
 * adapters may share one table between tests.
 */
export function describeDefinitionStoreContract(name: string, makeStore: () => Promise<DefinitionStore>) {
  describe(`DefinitionStore contract: ${name}`, () => {
    it('returns nothing for a workflow that was never published', async () => {
      // Prepare
      const store = await makeStore();
      const tenant = newTenant();

      // Act
      const workflow = await store.getWorkflow(tenant, 'orders');
      const version = await store.getVersion(tenant, 'orders', '1.0.0');
      const versions = await store.listVersions(tenant, 'orders');
      const workflows = await store.listWorkflows(tenant);

      // Assess
      expect(workflow).toBeUndefined();
      expect(version).toBeUndefined();
      expect(versions).toEqual({ items: [] });
      expect(workflows).toEqual({ items: [] });
    });

    it('lists the published versions that call a workflow, with their calls, by caller then version', async () => {
      // Prepare
      const store = await makeStore();
      const tenant = newTenant();
      const call = (nodeId: string, workflowId = 'billing') => ({
        workflowId,
        range: '^2.1.0',
        nodeId,
        reads: ['total'],
        supplies: ['amount'],
      });
      const orders1 = versionRecord(tenant, 'orders', '1.0.0', {
        dependencies: [call('bill'), call('ship', 'shipping')],
      });
      const orders2 = versionRecord(tenant, 'orders', '1.10.0', {
        dependencies: [call('bill'), call('refund')],
      });
      const audit = versionRecord(tenant, 'audit', '3.0.0', { dependencies: [call('check')] });
      await store.putVersion(orders1, summaryAfter(undefined, orders1), undefined);
      await store.putVersion(orders2, summaryAfter(summaryAfter(undefined, orders1), orders2), 1);
      await store.putVersion(audit, summaryAfter(undefined, audit), undefined);

      // Act
      const billing = await store.listDependents(tenant, 'billing');
      const shipping = await store.listDependents(tenant, 'shipping');
      const nobody = await store.listDependents(tenant, 'orders');
      const otherTenant = await store.listDependents(newTenant(), 'billing');

      // Assess
      expect(billing).toEqual([
        { workflowId: 'audit', version: '3.0.0', calls: [call('check')] },
        { workflowId: 'orders', version: '1.0.0', calls: [call('bill')] },
        { workflowId: 'orders', version: '1.10.0', calls: [call('bill'), call('refund')] },
      ]);
      expect(shipping).toEqual([
        { workflowId: 'orders', version: '1.0.0', calls: [call('ship', 'shipping')] },
      ]);
      expect(nobody).toEqual([]);
      expect(otherTenant).toEqual([]);
      expect((await store.listVersions(tenant, 'billing')).items).toEqual([]);
    });

    it('holds the revisions of the called workflows: a stale one refuses the publish, a current one moves on', async () => {
      // Prepare
      const store = await makeStore();
      const tenant = newTenant();
      const billing = versionRecord(tenant, 'billing', '1.0.0');
      await store.putVersion(billing, summaryAfter(undefined, billing), undefined);
      const calls = [{ workflowId: 'billing', range: '^1.0.0', nodeId: 'bill', reads: [], supplies: [] }];
      const orders = versionRecord(tenant, 'orders', '1.0.0', { dependencies: calls });

      // Act
      const stale = store.putVersion(orders, summaryAfter(undefined, orders), undefined, { billing: 7 });

      // Assess
      await expect(stale).rejects.toBeInstanceOf(ConcurrentPublishError);
      expect(await store.getVersion(tenant, 'orders', '1.0.0')).toBeUndefined();
      await store.putVersion(orders, summaryAfter(undefined, orders), undefined, { billing: 1 });
      expect(await store.getVersion(tenant, 'orders', '1.0.0')).toEqual(orders);
      expect(await store.getWorkflow(tenant, 'billing')).toMatchObject({ latest: '1.0.0', revision: 2 });
    });

    it('reads back a first publish exactly as it was written', async () => {
      // Prepare
      const store = await makeStore();
      const tenant = newTenant();
      const version = versionRecord(tenant, 'orders', '1.0.0', {
        description: 'Takes an order',
        dependencies: [{ workflowId: 'billing', range: '^2.1.0', nodeId: 'bill' }],
      });
      const workflow = summaryAfter(undefined, version);

      // Act
      await store.putVersion(version, workflow, undefined);

      // Assess
      expect(await store.getVersion(tenant, 'orders', '1.0.0')).toEqual(version);
      expect(await store.getWorkflow(tenant, 'orders')).toEqual(workflow);
      expect(await store.listVersions(tenant, 'orders')).toEqual({
        items: [
          {
            version: '1.0.0',
            digest: version.digest,
            publishedAt: version.publishedAt,
            description: 'Takes an order',
          },
        ],
      });
    });

    it('round-trips a definition close to the 1 MB limit that barely compresses', async () => {
      // Prepare
      const store = await makeStore();
      const tenant = newTenant();
      const nodes = Object.fromEntries(
        Array.from({ length: 480 }, (_, i) => [
          `n${i}`,
          { type: 'noop', description: randomBytes(1500).toString('base64').slice(0, 2000) },
        ]),
      );
      const version = versionRecord(tenant, 'big', '1.0.0', { definition: { nodes } as WorkflowDefinition });

      // Act
      await store.putVersion(version, summaryAfter(undefined, version), undefined);

      // Assess
      expect(JSON.stringify(version.definition).length).toBeGreaterThan(950_000);
      expect(await store.getVersion(tenant, 'big', '1.0.0')).toEqual(version);
      expect((await store.listVersions(tenant, 'big')).items.map((v) => v.version)).toEqual(['1.0.0']);
    });

    it('refuses a stale revision', async () => {
      // Prepare
      const store = await makeStore();
      const tenant = newTenant();
      await publish(store, tenant, 'orders', '1.0.0');
      const current = await publish(store, tenant, 'orders', '1.1.0');
      const late = versionRecord(tenant, 'orders', '1.2.0');

      // Act
      const attempt = store.putVersion(late, summaryAfter(current, late), 1);

      // Assess
      await expect(attempt).rejects.toBeInstanceOf(ConcurrentPublishError);
      expect(await store.getWorkflow(tenant, 'orders')).toEqual(current);
      expect(await store.getVersion(tenant, 'orders', '1.2.0')).toBeUndefined();
    });

    it('refuses a first publish of a workflow that already exists', async () => {
      // Prepare
      const store = await makeStore();
      const tenant = newTenant();
      const current = await publish(store, tenant, 'orders', '1.0.0');
      const other = versionRecord(tenant, 'orders', '2.0.0');

      // Act
      const attempt = store.putVersion(other, summaryAfter(undefined, other), undefined);

      // Assess
      await expect(attempt).rejects.toBeInstanceOf(ConcurrentPublishError);
      expect(await store.getWorkflow(tenant, 'orders')).toEqual(current);
    });

    it('refuses to overwrite an existing version and changes nothing', async () => {
      // Prepare
      const store = await makeStore();
      const tenant = newTenant();
      const current = await publish(store, tenant, 'orders', '1.0.0');
      const original = await store.getVersion(tenant, 'orders', '1.0.0');
      const rewrite = versionRecord(tenant, 'orders', '1.0.0', { description: 'a different body' });

      // Act
      const attempt = store.putVersion(rewrite, summaryAfter(current, rewrite), current.revision);

      // Assess
      await expect(attempt).rejects.toBeInstanceOf(ConcurrentPublishError);
      expect(await store.getVersion(tenant, 'orders', '1.0.0')).toEqual(original);
      expect(await store.getWorkflow(tenant, 'orders')).toEqual(current);
    });

    it('shows one tenant nothing of another', async () => {
      // Prepare
      const store = await makeStore();
      const [tenantA, tenantB] = [newTenant(), newTenant()];
      await publish(store, tenantA, 'orders', '1.0.0');

      // Act
      const seenByB = {
        workflow: await store.getWorkflow(tenantB, 'orders'),
        version: await store.getVersion(tenantB, 'orders', '1.0.0'),
        workflows: await store.listWorkflows(tenantB),
        versions: await store.listVersions(tenantB, 'orders'),
      };
      const ownOfB = await publish(store, tenantB, 'orders', '3.0.0');

      // Assess
      expect(seenByB).toEqual({
        workflow: undefined,
        version: undefined,
        workflows: { items: [] },
        versions: { items: [] },
      });
      expect(ownOfB.revision).toBe(1);
      expect((await store.getWorkflow(tenantA, 'orders'))?.latest).toBe('1.0.0');
      expect((await store.listVersions(tenantA, 'orders')).items.map((v) => v.version)).toEqual(['1.0.0']);
    });

    it('lists versions newest first by semver precedence, prereleases included', async () => {
      // Prepare
      const store = await makeStore();
      const tenant = newTenant();
      const ordered = [
        '1.0.0-alpha',
        '1.0.0-alpha.1',
        '1.0.0-beta',
        '1.0.0-rc.1',
        '1.0.0',
        '1.2.0',
        '1.10.0',
        '2.0.0',
      ];
      const shuffled = [
        '1.10.0',
        '1.0.0-beta',
        '2.0.0',
        '1.0.0-alpha.1',
        '1.0.0',
        '1.0.0-rc.1',
        '1.2.0',
        '1.0.0-alpha',
      ];
      for (const version of shuffled) await publish(store, tenant, 'orders', version);

      // Act
      const page = await store.listVersions(tenant, 'orders');

      // Assess
      expect(page.items.map((v) => v.version)).toEqual([...ordered].reverse());
      expect(page.cursor).toBeUndefined();
    });

    it('walks every workflow exactly once, by id, in pages of two', async () => {
      // Prepare
      const store = await makeStore();
      const tenant = newTenant();
      const ids = ['delta', 'alpha', 'echo', 'charlie', 'bravo'];
      for (const id of ids) await publish(store, tenant, id, '1.0.0');

      // Act
      const pages = await walk((page) => store.listWorkflows(tenant, page));

      // Assess
      expect(pages.map((page) => page.length)).toEqual([2, 2, 1]);
      expect(pages.flat().map((w) => w.workflowId)).toEqual([...ids].sort());
    });

    it('walks every version exactly once, newest first, in pages of two', async () => {
      // Prepare
      const store = await makeStore();
      const tenant = newTenant();
      const versions = ['1.0.0', '1.1.0', '2.0.0-rc.1', '2.0.0', '10.0.0'];
      for (const version of versions) await publish(store, tenant, 'orders', version);

      // Act
      const pages = await walk((page) => store.listVersions(tenant, 'orders', page));

      // Assess
      expect(pages.map((page) => page.length)).toEqual([2, 2, 1]);
      expect(pages.flat().map((v) => v.version)).toEqual([...versions].reverse());
    });

    it('refuses a cursor it did not hand out with INVALID_CURSOR', async () => {
      // Prepare
      const store = await makeStore();

      // Act
      const attempt = store.listWorkflows(`t-${randomUUID()}`, { cursor: 'not-a-cursor' });

      // Assess
      await expect(attempt).rejects.toMatchObject({ code: 'INVALID_CURSOR', kind: 'invalid' });
    });

    it('lets exactly one of two racing publishes win', async () => {
      // Prepare
      const store = await makeStore();
      const tenant = newTenant();
      const current = await publish(store, tenant, 'orders', '1.0.0');
      const [left, right] = [
        versionRecord(tenant, 'orders', '1.1.0'),
        versionRecord(tenant, 'orders', '1.2.0'),
      ];

      // Act
      const results = await Promise.allSettled([
        store.putVersion(left, summaryAfter(current, left), current.revision),
        store.putVersion(right, summaryAfter(current, right), current.revision),
      ]);

      // Assess
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const [loss] = results.filter((r) => r.status === 'rejected');
      expect(loss?.reason).toBeInstanceOf(ConcurrentPublishError);
      const stored = await Promise.all([
        store.getVersion(tenant, 'orders', '1.1.0'),
        store.getVersion(tenant, 'orders', '1.2.0'),
      ]);
      expect(stored.filter(Boolean)).toHaveLength(1);
      expect((await store.getWorkflow(tenant, 'orders'))?.revision).toBe(2);
    });

    it('lets exactly one of two racing first publishes win', async () => {
      // Prepare
      const store = await makeStore();
      const tenant = newTenant();
      const [left, right] = [
        versionRecord(tenant, 'orders', '1.0.0'),
        versionRecord(tenant, 'orders', '2.0.0'),
      ];

      // Act
      const results = await Promise.allSettled([
        store.putVersion(left, summaryAfter(undefined, left), undefined),
        store.putVersion(right, summaryAfter(undefined, right), undefined),
      ]);

      // Assess
      expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
      expect((await store.listVersions(tenant, 'orders')).items).toHaveLength(1);
    });
  });
}

const newTenant = () => `tenant-${randomUUID()}`;

function versionRecord(
  tenant: string,
  workflowId: string,
  version: string,
  extra: Partial<Pick<VersionRecord, 'definition' | 'description' | 'dependencies'>> = {},
): VersionRecord {
  const definition = extra.definition ?? {
    description: `${workflowId} ${version}`,
    inputs: { amount: { type: 'number', required: true } },
    nodes: {
      start: { type: 'noop' },
      check: { type: 'script', language: 'js', code: 'return 1', needs: ['start'] },
    },
  };
  return {
    tenant,
    workflowId,
    version,
    definition,
    digest: `sha256-${workflowId}-${version}-${extra.description ?? ''}`,
    publishedAt: '2025-06-01T12:00:00.000Z',
    dependencies: extra.dependencies ?? [],
    ...(extra.description !== undefined && { description: extra.description }),
  };
}

/** The summary the publish use case would write after `version`. */
function summaryAfter(current: WorkflowRecord | undefined, version: VersionRecord): WorkflowRecord {
  const greater = (a: string | undefined, b: string) => (a !== undefined && semver.gt(a, b) ? a : b);
  const major = String(semver.major(version.version));
  return {
    tenant: version.tenant,
    workflowId: version.workflowId,
    latest: greater(current?.latest, version.version),
    heads: { ...current?.heads, [major]: greater(current?.heads[major], version.version) },
    versionCount: (current?.versionCount ?? 0) + 1,
    description: version.description,
    updatedAt: version.publishedAt,
    revision: (current?.revision ?? 0) + 1,
  };
}

async function publish(store: DefinitionStore, tenant: string, workflowId: string, version: string) {
  const current = await store.getWorkflow(tenant, workflowId);
  const record = versionRecord(tenant, workflowId, version);
  const next = summaryAfter(current, record);
  await store.putVersion(record, next, current?.revision);
  return next;
}

/** Follows cursors with limit 2 until the last page; fails rather than loop forever. */
async function walk<T>(list: (page: PageRequest) => Promise<Page<T>>): Promise<T[][]> {
  const pages: T[][] = [];
  let cursor: string | undefined;
  do {
    const page = await list({ limit: 2, ...(cursor !== undefined && { cursor }) });
    pages.push(page.items);
    cursor = page.cursor;
  } while (cursor !== undefined && pages.length < 50);
  return pages;
}

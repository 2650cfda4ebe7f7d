import semver from 'semver';
import {
  ConcurrentPublishError,
  type DefinitionStore,
  type DependentRecord,
  type VersionRecord,
  type VersionSummary,
  type WorkflowRecord,
} from '../../ports/definition-store.ts';
import type { Page, PageRequest } from '../../ports/page.ts';
import { pageOf } from './paging.ts';

/** In-process definition store with the same contract as the DynamoDB adapter. */
export class MemoryDefinitionStore implements DefinitionStore {
  private readonly workflows = new Map<string, WorkflowRecord>();
  private readonly versions = new Map<string, VersionRecord>();

  async getWorkflow(tenant: string, workflowId: string): Promise<WorkflowRecord | undefined> {
    return clone(this.workflows.get(key(tenant, workflowId)));
  }

  async getVersion(tenant: string, workflowId: string, version: string): Promise<VersionRecord | undefined> {
    return clone(this.versions.get(key(tenant, workflowId, version)));
  }

  async putVersion(
    version: VersionRecord,
    workflow: WorkflowRecord,
    expectedRevision: number | undefined,
    calledRevisions: Readonly<Record<string, number>> = {},
  ) {
    const workflowKey = key(version.tenant, version.workflowId);
    const versionKey = key(version.tenant, version.workflowId, version.version);
    const called = Object.entries(calledRevisions).map(([id, revision]) => ({
      calledKey: key(version.tenant, id),
      revision,
    }));
    if (
      this.workflows.get(workflowKey)?.revision !== expectedRevision ||
      this.versions.has(versionKey) ||
      called.some(({ calledKey, revision }) => this.workflows.get(calledKey)?.revision !== revision)
    ) {
      throw new ConcurrentPublishError(version.workflowId);
    }
    this.versions.set(versionKey, clone(version));
    this.workflows.set(workflowKey, clone(workflow));
    for (const { calledKey, revision } of called) {
      const summary = this.workflows.get(calledKey) as WorkflowRecord;
      this.workflows.set(calledKey, { ...summary, revision: revision + 1 });
    }
  }

  async listWorkflows(tenant: string, page: PageRequest = {}): Promise<Page<WorkflowRecord>> {
    const all = [...this.workflows.values()]
      .filter((w) => w.tenant === tenant)
      .sort((a, b) => (a.workflowId < b.workflowId ? -1 : 1));
    return pageOf(all.map(clone), page, (w) => w.workflowId);
  }

  async listDependents(tenant: string, workflowId: string): Promise<DependentRecord[]> {
    return [...this.versions.values()]
      .filter((v) => v.tenant === tenant)
      .map((v) => ({
        workflowId: v.workflowId,
        version: v.version,
        calls: v.dependencies.filter((call) => call.workflowId === workflowId),
      }))
      .filter((dependent) => dependent.calls.length > 0)
      .sort((a, b) =>
        a.workflowId === b.workflowId
          ? semver.compare(a.version, b.version)
          : a.workflowId < b.workflowId
            ? -1
            : 1,
      )
      .map(clone);
  }

  async listVersions(
    tenant: string,
    workflowId: string,
    page: PageRequest = {},
  ): Promise<Page<VersionSummary>> {
    const all = [...this.versions.values()]
      .filter((v) => v.tenant === tenant && v.workflowId === workflowId)
      .sort((a, b) => semver.rcompare(a.version, b.version))
      .map(({ version, digest, publishedAt, description }) => ({
        version,
        digest,
        publishedAt,
        description,
      }));
    return pageOf(all, page, (v) => v.version);
  }
}

const key = (...parts: string[]) => parts.join('\u0000');
const clone = <T>(value: T): T => (value === undefined ? value : structuredClone(value));

import type { WorkflowDefinition } from '../domain/definition-schema.ts';
import type { WorkflowDependency } from '../domain/dependencies.ts';
import type { Page, PageRequest } from './page.ts';

/** One published, immutable version of a workflow. */
export interface VersionRecord {
  readonly tenant: string;
  readonly workflowId: string;
  readonly version: string;
  readonly definition: WorkflowDefinition;
  /** sha256 of the canonical JSON of `definition`: equal digests mean an identical body. */
  readonly digest: string;
  readonly publishedAt: string;
  readonly description?: string;
  readonly dependencies: WorkflowDependency[];
}

/** The per-workflow summary kept beside its versions. */
export interface WorkflowRecord {
  readonly tenant: string;
  readonly workflowId: string;
  /** Greatest published version overall. */
  readonly latest: string;
  /** Greatest published version of each major line, keyed by major ("1" -> "1.4.0"). */
  readonly heads: Readonly<Record<string, string>>;
  readonly versionCount: number;
  readonly description?: string;
  readonly updatedAt: string;
  /** Bumped on every publish; used for optimistic concurrency. */
  readonly revision: number;
}

export type VersionSummary = Pick<VersionRecord, 'version' | 'digest' | 'publishedAt' | 'description'>;

/** A published version that calls a workflow, and its calling nodes' needs (`domain/contracts.ts`). */
export interface DependentRecord {
  /** The calling workflow. */
  readonly workflowId: string;
  /** Its published version that calls. */
  readonly version: string;
  /** Its calls of the workflow (one per calling node). */
  readonly calls: readonly WorkflowDependency[];
}

/** `putVersion` lost a race: the workflow changed since it was read. Read again and retry. */
export class ConcurrentPublishError extends Error {
  constructor(readonly workflowId: string) {
    super(`workflow ${workflowId} changed while publishing`);
    this.name = 'ConcurrentPublishError';
  }
}

/**
 * Versioned definitions per tenant. Adapters store; the publish rules (semver ordering,
 * immutability, idempotent re-publish) live in `shared/engine/publish-definition.ts`.
 */
export interface DefinitionStore {
  getWorkflow(tenant: string, workflowId: string): Promise<WorkflowRecord | undefined>;
  getVersion(tenant: string, workflowId: string, version: string): Promise<VersionRecord | undefined>;
  /**
   * Writes a new version and the workflow's new summary atomically. Fails with
   * `ConcurrentPublishError` unless the stored summary's revision is still `expectedRevision`
   * (absent for a first publish) and the version does not exist yet.
   *
   * `calledRevisions` (workflow id → the revision its summary had when the caller's contract was
   * checked): each called workflow's revision must still be that one, and is bumped in the same
   * write, so a caller and a callee published at the same moment cannot both pass their checks
   * (one of them fails with `ConcurrentPublishError` and checks again).
   */
  putVersion(
    version: VersionRecord,
    workflow: WorkflowRecord,
    expectedRevision: number | undefined,
    calledRevisions?: Readonly<Record<string, number>>,
  ): Promise<void>;
  /** Workflows of a tenant, by id. */
  listWorkflows(tenant: string, page?: PageRequest): Promise<Page<WorkflowRecord>>;
  /** Versions of a workflow, newest (greatest semver) first. */
  listVersions(tenant: string, workflowId: string, page?: PageRequest): Promise<Page<VersionSummary>>;
  /**
   * Every published version (of any workflow of the tenant) that calls `workflowId`, by workflow
   * then version; `putVersion` records a version's calls from its `dependencies` in the same write.
   */
  listDependents(tenant: string, workflowId: string): Promise<DependentRecord[]>;
}

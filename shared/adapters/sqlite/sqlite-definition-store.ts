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
import { pageOf } from '../memory/paging.ts';
import type { SqliteDatabase } from './database.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS workflows (
  tenant TEXT NOT NULL,
  workflow_id TEXT NOT NULL,
  revision INTEGER NOT NULL,
  data TEXT NOT NULL,
  PRIMARY KEY (tenant, workflow_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS workflow_versions (
  tenant TEXT NOT NULL,
  workflow_id TEXT NOT NULL,
  version TEXT NOT NULL,
  summary TEXT NOT NULL,
  data TEXT NOT NULL,
  PRIMARY KEY (tenant, workflow_id, version)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS workflow_calls (
  tenant TEXT NOT NULL,
  called TEXT NOT NULL,
  workflow_id TEXT NOT NULL,
  version TEXT NOT NULL,
  calls TEXT NOT NULL,
  PRIMARY KEY (tenant, called, workflow_id, version)
) WITHOUT ROWID;
`;

/**
 * Versioned definitions in the embedded SQLite database, with the memory and DynamoDB adapters'
 * contract: a publish writes the version, the workflow's summary, the called workflows' revision
 * bumps and the version's calls (`workflow_calls`, for `listDependents`) in one transaction,
 * checking every revision first. Listings read one tenant's (or workflow's) rows and page them as
 * the memory adapter does (semver order is not SQL order); a workflow has few versions.
 * @example const definitions = new SqliteDefinitionStore(openSqlite('.skein/skein.db'));
 */
export class SqliteDefinitionStore implements DefinitionStore {
  private readonly put: (
    version: VersionRecord,
    workflow: WorkflowRecord,
    expectedRevision: number | undefined,
    calledRevisions: Readonly<Record<string, number>>,
  ) => void;

  constructor(private readonly sqlite: SqliteDatabase) {
    sqlite.db.exec(SCHEMA);
    this.put = sqlite.transaction((version, workflow, expectedRevision, calledRevisions) => {
      const { tenant, workflowId } = version;
      const exists = sqlite
        .statement('SELECT 1 FROM workflow_versions WHERE tenant = ? AND workflow_id = ? AND version = ?')
        .get(tenant, workflowId, version.version);
      const called = Object.entries(calledRevisions);
      if (
        this.revision(tenant, workflowId) !== expectedRevision ||
        exists ||
        called.some(([id, revision]) => this.revision(tenant, id) !== revision)
      ) {
        throw new ConcurrentPublishError(workflowId);
      }
      const summary: VersionSummary = {
        version: version.version,
        digest: version.digest,
        publishedAt: version.publishedAt,
        ...(version.description !== undefined && { description: version.description }),
      };
      sqlite
        .statement(
          'INSERT INTO workflow_versions (tenant, workflow_id, version, summary, data) VALUES (?, ?, ?, ?, ?)',
        )
        .run(tenant, workflowId, version.version, JSON.stringify(summary), JSON.stringify(version));
      this.saveWorkflow(workflow);
      for (const [id, revision] of called) {
        const current = this.read(tenant, id) as WorkflowRecord;
        this.saveWorkflow({ ...current, revision: revision + 1 });
      }
      const callsOf = new Map<string, unknown[]>();
      for (const call of version.dependencies) {
        callsOf.set(call.workflowId, [...(callsOf.get(call.workflowId) ?? []), call]);
      }
      for (const [calledId, calls] of callsOf) {
        sqlite
          .statement(
            'INSERT INTO workflow_calls (tenant, called, workflow_id, version, calls) VALUES (?, ?, ?, ?, ?)',
          )
          .run(tenant, calledId, workflowId, version.version, JSON.stringify(calls));
      }
    });
  }

  getWorkflow(tenant: string, workflowId: string): Promise<WorkflowRecord | undefined> {
    return this.sqlite.run(false, () => this.read(tenant, workflowId));
  }

  getVersion(tenant: string, workflowId: string, version: string): Promise<VersionRecord | undefined> {
    return this.sqlite.run(false, () => {
      const row = this.sqlite
        .statement('SELECT data FROM workflow_versions WHERE tenant = ? AND workflow_id = ? AND version = ?')
        .get(tenant, workflowId, version) as { data: string } | undefined;
      return row && (JSON.parse(row.data) as VersionRecord);
    });
  }

  putVersion(
    version: VersionRecord,
    workflow: WorkflowRecord,
    expectedRevision: number | undefined,
    calledRevisions: Readonly<Record<string, number>> = {},
  ): Promise<void> {
    return this.sqlite.run(true, () => this.put(version, workflow, expectedRevision, calledRevisions));
  }

  listWorkflows(tenant: string, page: PageRequest = {}): Promise<Page<WorkflowRecord>> {
    return this.sqlite.run(false, () => {
      const rows = this.sqlite
        .statement('SELECT data FROM workflows WHERE tenant = ? ORDER BY workflow_id')
        .all(tenant) as { data: string }[];
      const all = rows.map((row) => JSON.parse(row.data) as WorkflowRecord);
      return pageOf(all, page, (w) => w.workflowId);
    });
  }

  listVersions(tenant: string, workflowId: string, page: PageRequest = {}): Promise<Page<VersionSummary>> {
    return this.sqlite.run(false, () => {
      const rows = this.sqlite
        .statement('SELECT summary FROM workflow_versions WHERE tenant = ? AND workflow_id = ?')
        .all(tenant, workflowId) as { summary: string }[];
      const all = rows
        .map((row) => JSON.parse(row.summary) as VersionSummary)
        .sort((a, b) => semver.rcompare(a.version, b.version));
      return pageOf(all, page, (v) => v.version);
    });
  }

  listDependents(tenant: string, workflowId: string): Promise<DependentRecord[]> {
    return this.sqlite.run(false, () => {
      const rows = this.sqlite
        .statement('SELECT workflow_id, version, calls FROM workflow_calls WHERE tenant = ? AND called = ?')
        .all(tenant, workflowId) as { workflow_id: string; version: string; calls: string }[];
      return rows
        .map((row) => ({
          workflowId: row.workflow_id,
          version: row.version,
          calls: JSON.parse(row.calls) as DependentRecord['calls'],
        }))
        .sort((a, b) =>
          a.workflowId === b.workflowId
            ? semver.compare(a.version, b.version)
            : a.workflowId < b.workflowId
              ? -1
              : 1,
        );
    });
  }

  private read(tenant: string, workflowId: string): WorkflowRecord | undefined {
    const row = this.sqlite
      .statement('SELECT data FROM workflows WHERE tenant = ? AND workflow_id = ?')
      .get(tenant, workflowId) as { data: string } | undefined;
    return row && (JSON.parse(row.data) as WorkflowRecord);
  }

  private revision(tenant: string, workflowId: string): number | undefined {
    return this.read(tenant, workflowId)?.revision;
  }

  private saveWorkflow(workflow: WorkflowRecord): void {
    this.sqlite
      .statement(
        `INSERT INTO workflows (tenant, workflow_id, revision, data) VALUES (?, ?, ?, ?)
         ON CONFLICT (tenant, workflow_id) DO UPDATE SET revision = excluded.revision, data = excluded.data`,
      )
      .run(workflow.tenant, workflow.workflowId, workflow.revision, JSON.stringify(workflow));
  }
}

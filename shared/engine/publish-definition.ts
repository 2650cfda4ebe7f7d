import { createHash } from 'node:crypto';
import semver from 'semver';
import { canonicalJson } from '../domain/canonical-json.ts';
import { WORKFLOW_ID, type WorkflowDefinition } from '../domain/definition-schema.ts';
import { dependenciesOf } from '../domain/dependencies.ts';
import { unavailableNodeTypes } from '../domain/node-types.ts';
import { poolTimeProblems } from '../domain/pool-time.ts';
import { ConflictError, type Problem, SkeinError } from '../domain/problems.ts';
import { type ValidationResult, validateDefinition } from '../domain/validate.ts';
import { assertPublishableVersion, decidePublish } from '../domain/versions.ts';
import type { Clock } from '../ports/clock.ts';
import {
  ConcurrentPublishError,
  type DefinitionStore,
  type VersionRecord,
  type WorkflowRecord,
} from '../ports/definition-store.ts';
import { checkCalls, checkDependents } from './publish-contracts.ts';

export interface PublishDeps {
  readonly definitions: DefinitionStore;
  readonly clock: Clock;
  /**
   * Each worker pool's function timeout: a node whose timeout is longer than its pool can run
   * (minus a margin for the worker's own work) is refused with the pool named. Absent where workers have
   * no time limit (local mode).
   */
  readonly poolTimeoutsMs?: Readonly<Record<string, number>> | undefined;
  /**
   * The node types this deployment's workers run (`NODE_TYPES_RUN`): a definition using another
   * one is published with a warning, or refused when the request is strict. Absent: not checked.
   */
  readonly nodeTypes?: { readonly types: readonly string[]; readonly where: string } | undefined;
}

export interface PublishRequest {
  readonly tenant: string;
  readonly workflowId: string;
  readonly version: string;
  /** The parsed body (YAML or JSON already turned into a value). */
  readonly body: unknown;
  /** Refuse (422) instead of warning when a node type does not run on this deployment. */
  readonly strict?: boolean;
  /** Runs on the valid definition before anything is written (e.g. its `triggers:` ids are free). */
  readonly check?: (definition: WorkflowDefinition) => Promise<void>;
}

export interface PublishResult {
  /** False when the identical body was already published under this version. */
  readonly created: boolean;
  readonly record: VersionRecord;
  /** Node types this deployment does not run (`NODE_TYPE_UNAVAILABLE`); empty when all run. */
  readonly warnings: Problem[];
}

/** The definition did not validate; `problems` lists every problem. */
export class InvalidDefinitionError extends SkeinError {
  constructor(readonly result: ValidationResult) {
    const first = result.errors[0];
    super(
      'INVALID_DEFINITION',
      `the definition has ${result.errors.length} problem(s)${first ? `; first: ${first.message}` : ''}`,
      'unprocessable',
      first?.path,
      result.errors,
    );
  }
}

const MAX_ATTEMPTS = 5;

/**
 * Publishes an immutable version: validates it, refuses a version that is not greater than the
 * latest of its major line, checks the contracts with the workflows it calls and with the
 * published callers that would pick it up (`publish-contracts.ts`), and treats re-publishing the
 * identical body as a no-op. Concurrent
 * publishes of one workflow are serialised by the store's revision check and retried here.
 */
export async function publishDefinition(deps: PublishDeps, request: PublishRequest): Promise<PublishResult> {
  const { tenant, workflowId, version, body } = request;
  assertWorkflowId(workflowId);
  assertPublishableVersion(version);
  const validation = validateDefinition(body);
  if (!validation.valid || !validation.definition) throw new InvalidDefinitionError(validation);
  const definition = validation.definition;
  const warnings = deps.nodeTypes
    ? unavailableNodeTypes(definition, deps.nodeTypes.types, deps.nodeTypes.where)
    : [];
  if (request.strict && warnings.length > 0) {
    throw new InvalidDefinitionError({ valid: false, errors: warnings, order: [] });
  }
  const tooLong = deps.poolTimeoutsMs ? poolTimeProblems(definition, deps.poolTimeoutsMs) : [];
  if (tooLong.length > 0) throw new InvalidDefinitionError({ valid: false, errors: tooLong, order: [] });
  if (definition.id !== undefined && definition.id !== workflowId) {
    throw new SkeinError(
      'ID_MISMATCH',
      `the body says id "${definition.id}" but the URL says "${workflowId}"`,
      'invalid',
      '$.id',
    );
  }
  if (definition.version !== undefined && definition.version !== version) {
    throw new SkeinError(
      'VERSION_MISMATCH',
      `the body says version "${definition.version}" but the URL says "${version}"`,
      'invalid',
      '$.version',
    );
  }
  await request.check?.(definition);
  const digest = createHash('sha256').update(canonicalJson(definition)).digest('hex');
  const publishing = { tenant, workflowId, version, definition, calls: dependenciesOf(definition) };

  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const [workflow, existing] = await Promise.all([
      deps.definitions.getWorkflow(tenant, workflowId),
      deps.definitions.getVersion(tenant, workflowId, version),
    ]);
    const majorHead = workflow?.heads[String(semver.major(version))];
    const decision = decidePublish({
      workflowId,
      version,
      digest,
      existingDigest: existing?.digest,
      majorHead,
    });
    if (decision.kind === 'identical' && existing) return { created: false, record: existing, warnings };
    const calledRevisions = await checkCalls(deps.definitions, publishing);
    await checkDependents(deps.definitions, publishing);

    const publishedAt = new Date(deps.clock.now()).toISOString();
    const record: VersionRecord = {
      tenant,
      workflowId,
      version,
      definition,
      digest,
      publishedAt,
      ...(definition.description !== undefined && { description: definition.description }),
      dependencies: [...publishing.calls],
    };
    try {
      await deps.definitions.putVersion(
        record,
        nextSummary(workflow, record),
        workflow?.revision,
        calledRevisions,
      );
      return { created: true, record, warnings };
    } catch (error) {
      if (!(error instanceof ConcurrentPublishError)) throw error;
    }
  }
  throw new ConflictError('CONCURRENT_PUBLISH', `${workflowId} is being published concurrently; try again`);
}

function nextSummary(current: WorkflowRecord | undefined, record: VersionRecord): WorkflowRecord {
  const becomesLatest = !current || isPreferredLatest(record.version, current.latest);
  const latestDescription = becomesLatest ? record.description : current.description;
  return {
    tenant: record.tenant,
    workflowId: record.workflowId,
    latest: becomesLatest ? record.version : current.latest,
    heads: { ...current?.heads, [String(semver.major(record.version))]: record.version },
    versionCount: (current?.versionCount ?? 0) + 1,
    ...(latestDescription !== undefined && { description: latestDescription }),
    updatedAt: record.publishedAt,
    revision: (current?.revision ?? 0) + 1,
  };
}

/** `latest` is the greatest release; a prerelease is latest only while no release exists. */
function isPreferredLatest(candidate: string, latest: string): boolean {
  const candidateIsRelease = semver.prerelease(candidate) === null;
  const latestIsRelease = semver.prerelease(latest) === null;
  if (candidateIsRelease !== latestIsRelease) return candidateIsRelease;
  return semver.gt(candidate, latest);
}

export function assertWorkflowId(workflowId: string): void {
  if (!WORKFLOW_ID.test(workflowId)) {
    throw new SkeinError(
      'INVALID_WORKFLOW_ID',
      `"${workflowId}" is not a workflow id: use lowercase letters, digits and "-", starting with a letter or digit (at most 80)`,
    );
  }
}

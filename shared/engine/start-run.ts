import semver from 'semver';
import { parseDuration } from '../domain/duration.ts';
import { NotFoundError, SkeinError } from '../domain/problems.ts';
import { resolveRunInputs, runInputsError } from '../domain/run-inputs.ts';
import type { VersionRecord } from '../ports/definition-store.ts';
import type { RunTrigger } from '../ports/run-store/runs.ts';
import type { RunParent, RunRecord } from '../ports/run-store.ts';
import { admit, hasCaps, promote, releaseSlot } from './concurrency.ts';
import type { EngineContext } from './context.ts';
import { activeExpiry } from './retention.ts';
import { allVersions } from './workflow-versions.ts';

export interface StartRunRequest {
  readonly tenant: string;
  readonly workflow: string;
  /** An exact version or a semver range (`^1.2.0`); the latest version when absent. */
  readonly version?: string;
  readonly inputs?: unknown;
  /** A second start with the same key (per tenant) returns the first run instead. */
  readonly idempotencyKey?: string;
  /** Set when a `workflow` node starts this run as its child (`child-spawn.ts`). */
  readonly parent?: RunParent;
  /** Set when a trigger's firing starts this run (`engine/triggers/fire.ts`). */
  readonly trigger?: RunTrigger;
}

export interface StartRunResult {
  readonly run: RunRecord;
  /** False when `idempotencyKey` matched an existing run. */
  readonly created: boolean;
}

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,128}$/;

/**
 * Starts a run pinned to one exact version: resolves the version (exact, range or latest),
 * checks the inputs against the typed `inputs` with defaults applied, writes the run (and its
 * idempotency key) atomically, then enqueues the root nodes.
 * @example await startRun(cx, { tenant: 'acme', workflow: 'orders', inputs: { id: 7 } })
 */
export async function startRun(cx: EngineContext, request: StartRunRequest): Promise<StartRunResult> {
  const { tenant, workflow, idempotencyKey } = request;
  if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
    throw new SkeinError(
      'SCHEMA',
      'idempotencyKey must be 1 to 128 printable ASCII characters without spaces',
      'invalid',
      '$.idempotencyKey',
    );
  }
  const record = await resolveVersion(cx, tenant, workflow, request.version);
  const inputs = resolveRunInputs(record.definition, request.inputs);
  if (!inputs.ok) throw runInputsError(inputs.problems);
  const plan = await cx.planFor({ tenant, workflow, version: record.version });
  const now = cx.now();
  const timeoutMs =
    record.definition.timeout === undefined ? undefined : parseDuration(record.definition.timeout);
  const runId = cx.deps.ids.newId();
  // Under a cap (the workflow's maxConcurrentRuns, the tenant's quota) a run that finds no free
  // slot waits, QUEUED, in that cap's line.
  const blocked = hasCaps(cx, plan) ? await admit(cx, { runId, tenant, workflow }, plan) : undefined;
  const admitted = blocked === undefined;
  const run: RunRecord = {
    runId,
    tenant,
    workflow,
    version: record.version,
    status: admitted ? 'RUNNING' : 'QUEUED',
    epoch: 0,
    sinkCount: plan.sinkCount,
    createdAt: cx.iso(now),
    updatedAt: cx.iso(now),
    progressAt: cx.iso(now),
    ...(admitted ? { epochStartedAt: cx.iso(now) } : {}),
    expiresAt: activeExpiry(cx, record.definition),
    ...(timeoutMs === undefined || !admitted ? {} : { deadline: cx.iso(now + timeoutMs) }),
    ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
    ...(request.parent === undefined ? {} : { parent: request.parent }),
    ...(request.trigger === undefined ? {} : { trigger: request.trigger }),
  };
  const result = await cx.runs.createRun(run, inputs.inputs);
  if (result.created && admitted) {
    cx.emit({ type: 'run.started', runId: run.runId });
    await cx.enqueue(
      plan.roots().map((nodeId) => ({ runId: run.runId, nodeId })),
      plan,
    );
  } else if (result.created) {
    cx.emit({ type: 'run.queued', runId: run.runId });
    await cx.runs.addWaiting(tenant, blocked ?? workflow, runId, run.expiresAt);
    // A slot may have been given back between the refusal and joining the line.
    await promote(cx, run, plan);
  } else {
    if (admitted && hasCaps(cx, plan)) await releaseSlot(cx, run, plan); // the run that exists holds its own
    if (result.run.workflow !== workflow) {
      throw new SkeinError(
        'IDEMPOTENCY_KEY_REUSED',
        `idempotencyKey "${idempotencyKey}" was already used for a run of workflow ${result.run.workflow}`,
        'conflict',
        '$.idempotencyKey',
      );
    }
  }
  if (result.created && !admitted) return { run: (await cx.runs.getRun(runId)) ?? result.run, created: true };
  return result;
}

async function resolveVersion(
  cx: EngineContext,
  tenant: string,
  workflow: string,
  wanted: string | undefined,
): Promise<Pick<VersionRecord, 'version' | 'definition'>> {
  const { definitions } = cx.deps;
  const summary = await definitions.getWorkflow(tenant, workflow);
  if (!summary) throw new NotFoundError(`workflow ${workflow} does not exist; publish a version first`);
  let version = summary.latest;
  if (wanted !== undefined && wanted !== 'latest') {
    if (semver.valid(wanted)) {
      version = wanted;
    } else if (semver.validRange(wanted)) {
      const best = semver.maxSatisfying(await allVersions(definitions, tenant, workflow), wanted);
      if (best === null) {
        throw new NotFoundError(
          `no version of workflow ${workflow} satisfies "${wanted}" (latest is ${summary.latest})`,
          '$.version',
        );
      }
      version = best;
    } else {
      throw new SkeinError(
        'SCHEMA',
        `version must be a version such as 1.2.0 or a range such as ^1.2.0, got "${wanted}"`,
        'invalid',
        '$.version',
      );
    }
  }
  // A version never changes once published: the engine's compiled plan of it holds its
  // definition, so a start reads (and parses) the definition only the first time.
  try {
    const plan = await cx.planFor({ tenant, workflow, version });
    return { version, definition: plan.definition };
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
    throw new NotFoundError(
      `workflow ${workflow} has no version ${version} (latest is ${summary.latest})`,
      '$.version',
    );
  }
}

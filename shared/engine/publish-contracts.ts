/**
 * Contract checks at publish (SPEC "Workflow definition"): a definition may call only workflows
 * that exist with a version its range accepts, and must read only outputs that version declares
 * and give the inputs it requires; a new version must not break a published caller whose range
 * would pick it up. The rules are `domain/contracts.ts`; this module reads the versions.
 */
import semver from 'semver';
import { contractBreak } from '../domain/contracts.ts';
import type { WorkflowDefinition } from '../domain/definition-schema.ts';
import type { WorkflowDependency } from '../domain/dependencies.ts';
import { LIMITS } from '../domain/limits.ts';
import { type Problem, SkeinError } from '../domain/problems.ts';
import type { DefinitionStore } from '../ports/definition-store.ts';
import { allVersions } from './workflow-versions.ts';

/** What a publish names in its refusals and reads from the store. */
export interface PublishingVersion {
  readonly tenant: string;
  readonly workflowId: string;
  readonly version: string;
  readonly definition: WorkflowDefinition;
  readonly calls: readonly WorkflowDependency[];
}

/** A call the store cannot honour: the definition is refused with 422 and every problem listed. */
export class UnresolvedCallError extends SkeinError {
  constructor(readonly problems: readonly Problem[]) {
    const first = problems[0];
    super(
      'UNRESOLVED_CALL',
      `the definition calls workflows it cannot use (${problems.length} problem(s))${first ? `; first: ${first.message}` : ''}`,
      'unprocessable',
      first?.path,
      problems,
    );
  }
}

/** One caller a new version would break. */
export interface BrokenDependent {
  readonly workflowId: string;
  readonly version: string;
  readonly nodeId: string;
  readonly range: string;
  readonly removedOutputs: readonly string[];
  readonly newRequiredInputs: readonly string[];
}

/** The version would break published callers: 409 with each of them. */
export class ContractBreakError extends SkeinError {
  constructor(
    readonly version: string,
    readonly dependents: readonly BrokenDependent[],
  ) {
    const list = dependents.map(describe).join('; ');
    super(
      'CONTRACT_BREAK',
      `publishing ${version} would break ${dependents.length} caller(s): ${list}`,
      'conflict',
      undefined,
      dependents,
    );
  }
}

const describe = (broken: BrokenDependent) => {
  const parts = [
    ...broken.removedOutputs.map((name) => `reads output "${name}", which this version removes`),
    ...broken.newRequiredInputs.map((name) => `does not give the new required input "${name}"`),
  ];
  return `${broken.workflowId}@${broken.version} (node "${broken.nodeId}", range ${broken.range}) ${parts.join(' and ')}`;
};

/**
 * Checks the workflows a definition calls: at most `maxCalledWorkflows` of them, each published,
 * each range matched by a published version, and that version declaring the outputs the caller
 * reads and getting the required inputs it names. Throws `UnresolvedCallError` listing every
 * problem; otherwise returns the revision of each called workflow's summary as read, for
 * `putVersion` to hold them.
 */
export async function checkCalls(
  definitions: DefinitionStore,
  publishing: PublishingVersion,
): Promise<Record<string, number>> {
  const called = [...new Set(publishing.calls.map((call) => call.workflowId))];
  const problems: Problem[] = [];
  if (called.length > LIMITS.maxCalledWorkflows) {
    problems.push({
      code: 'LIMIT',
      message: `the definition calls ${called.length} workflows; at most ${LIMITS.maxCalledWorkflows} are allowed`,
      path: '$.nodes',
    });
    throw new UnresolvedCallError(problems);
  }
  // Each summary is read before the versions: the publish is conditional on its revision, so a
  // version of a called workflow published after this read makes the publish check again.
  const revisions: Record<string, number> = {};
  const versionsOf = new Map<string, string[]>();
  for (const id of called) {
    const summary =
      id === publishing.workflowId ? undefined : await definitions.getWorkflow(publishing.tenant, id);
    if (summary === undefined) continue;
    revisions[id] = summary.revision;
    versionsOf.set(id, await allVersions(definitions, publishing.tenant, id));
  }
  for (const call of publishing.calls) {
    const path = `$.nodes.${call.nodeId}`;
    const self = call.workflowId === publishing.workflowId;
    const versions = versionsOf.get(call.workflowId) ?? [];
    if (self || versions.length === 0) {
      problems.push({
        code: 'UNKNOWN_NODE',
        message: self
          ? `node "${call.nodeId}" calls its own workflow "${call.workflowId}"; a workflow cannot call itself`
          : `node "${call.nodeId}" calls workflow "${call.workflowId}", which has no published version in this tenant`,
        path: `${path}.workflow`,
      });
      continue;
    }
    const picked = semver.maxSatisfying(versions, call.range);
    if (picked === null) {
      problems.push({
        code: 'UNKNOWN_NODE',
        message: `no published version of "${call.workflowId}" satisfies "${call.range}" (published: ${versions.slice(0, 5).join(', ')}${versions.length > 5 ? ', ...' : ''})`,
        path: `${path}.version`,
      });
      continue;
    }
    const target = await definitions.getVersion(publishing.tenant, call.workflowId, picked);
    if (!target) continue; // listed a moment ago; the run will resolve it again
    // dependenciesOf recorded what the calling node needs with the call.
    const needs = { reads: call.reads ?? [], supplies: call.supplies ?? [] };
    for (const name of readButUndeclared(needs.reads, target.definition)) {
      problems.push({
        code: 'UNKNOWN_NODE',
        message: `$nodes.${call.nodeId}.output.${name} reads an output ${call.workflowId}@${picked} does not declare (it declares ${Object.keys(target.definition.outputs ?? {}).join(', ') || 'none'})`,
        path,
      });
    }
    for (const name of contractBreak(needs, undefined, target.definition)?.newRequiredInputs ?? []) {
      problems.push({
        code: 'SCHEMA',
        message: `node "${call.nodeId}" does not give "${name}", a required input of ${call.workflowId}@${picked}; add it to "with"`,
        path: `${path}.with`,
      });
    }
  }
  if (problems.length > 0) throw new UnresolvedCallError(problems);
  return revisions;
}

/**
 * Refuses a new version that a published caller's range would pick up (it is the greatest
 * version the range accepts) when it removes an output the caller reads or adds a required input
 * the caller does not give, comparing with the version the caller gets today.
 */
export async function checkDependents(
  definitions: DefinitionStore,
  publishing: PublishingVersion,
): Promise<void> {
  const dependents = await definitions.listDependents(publishing.tenant, publishing.workflowId);
  if (dependents.length === 0) return;
  const versions = await allVersions(definitions, publishing.tenant, publishing.workflowId);
  const before = new Map<string, WorkflowDefinition | undefined>();
  const definitionOf = async (version: string | null) => {
    if (version === null) return undefined;
    if (!before.has(version)) {
      const record = await definitions.getVersion(publishing.tenant, publishing.workflowId, version);
      before.set(version, record?.definition);
    }
    return before.get(version);
  };
  const broken: BrokenDependent[] = [];
  for (const dependent of dependents) {
    for (const call of dependent.calls) {
      if (call.reads === undefined || call.supplies === undefined) continue; // recorded before contracts
      if (!semver.satisfies(publishing.version, call.range)) continue;
      const current = semver.maxSatisfying(versions, call.range);
      if (current !== null && semver.gt(current, publishing.version)) continue; // not picked up
      const found = contractBreak(
        { reads: call.reads, supplies: call.supplies },
        await definitionOf(current),
        publishing.definition,
      );
      if (found) {
        broken.push({
          workflowId: dependent.workflowId,
          version: dependent.version,
          nodeId: call.nodeId,
          range: call.range,
          ...found,
        });
      }
    }
  }
  if (broken.length > 0) throw new ContractBreakError(publishing.version, broken);
}

function readButUndeclared(reads: readonly string[], target: WorkflowDefinition): string[] {
  const declared = new Set(Object.keys(target.outputs ?? {}));
  return reads.filter((name) => name !== '*' && !declared.has(name));
}

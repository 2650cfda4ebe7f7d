import fc from 'fast-check';
import type { BodyContext } from './bodies.ts';
import { type GeneratedWorkflow, workflowArb } from './definitions.ts';
import { nastyJson, nastyString } from './hostile.ts';
import { nearValid } from './mutate.ts';
import type { Operation } from './operations.ts';
import { requestArb, unroutedArb } from './requests.ts';
import type { FuzzItem, FuzzRequest, Segment } from './types.ts';

/**
 * Sequences: publish → start → controls → retry chains run in order by one worker while other
 * workers send other requests (random interleaving), and bursts of controls, idempotent starts
 * or publishes of one version sent all at once.
 */

const MAIN = { kind: 'main' } as const;
const JSON_TYPE = 'application/json';
const tenantPath = (...rest: Segment[]): Segment[] => [
  { text: 'v1' },
  { text: 'tenants' },
  { ref: 'tenant', pick: 0 },
  ...rest,
];
const runPath = (...rest: Segment[]) => tenantPath({ text: 'runs' }, { ref: 'chainRun', pick: 0 }, ...rest);

export function publishOf(
  workflow: GeneratedWorkflow,
  definition: unknown = workflow.definition,
): FuzzRequest {
  return {
    operation: 'PUT /v1/tenants/{tenant}/workflows/{workflow}/versions/{version}',
    flavour: 'chain',
    method: 'PUT',
    segments: tenantPath(
      { text: 'workflows' },
      { text: workflow.id },
      { text: 'versions' },
      { text: workflow.version },
    ),
    auth: MAIN,
    body: { text: JSON.stringify(definition), contentType: JSON_TYPE },
  };
}

function startOf(workflow: GeneratedWorkflow, body: unknown): FuzzRequest {
  return {
    operation: 'POST /v1/tenants/{tenant}/workflows/{workflow}/runs',
    flavour: 'chain',
    method: 'POST',
    segments: tenantPath({ text: 'workflows' }, { text: workflow.id }, { text: 'runs' }),
    auth: MAIN,
    body: { text: JSON.stringify(body), contentType: JSON_TYPE },
  };
}

type Control = 'pause' | 'resume' | 'cancel' | 'retry' | 'get';
const controlArb = fc.constantFrom<Control>('pause', 'resume', 'cancel', 'retry', 'get');

function controlOf(control: Control, nodes: readonly string[] | undefined): FuzzRequest {
  if (control === 'get') {
    return {
      operation: 'GET /v1/tenants/{tenant}/runs/{run}',
      flavour: 'chain',
      method: 'GET',
      segments: runPath(),
      auth: MAIN,
    };
  }
  const body =
    control === 'retry' && nodes ? { text: JSON.stringify({ nodes }), contentType: JSON_TYPE } : undefined;
  return {
    operation: `POST /v1/tenants/{tenant}/runs/{run}/${control}`,
    flavour: 'chain',
    method: 'POST',
    segments: runPath({ text: control }),
    auth: MAIN,
    ...(body && { body }),
  };
}

/** Retry bodies: every failed node (none), some real nodes, unknown or hostile ones. */
const retryNodesArb = (workflow: GeneratedWorkflow): fc.Arbitrary<string[] | undefined> =>
  fc.oneof(
    fc.constant(undefined),
    fc.subarray([...workflow.nodeIds], { minLength: 1 }),
    fc.array(nastyString, { minLength: 1, maxLength: 3 }),
    fc.constant<string[]>(['n0', 'n0', 'nope']),
  );

const startBodyArb = (workflow: GeneratedWorkflow): fc.Arbitrary<unknown> =>
  fc.oneof(
    { arbitrary: fc.constant({ inputs: workflow.inputs }), weight: 4 },
    {
      arbitrary: fc
        .record({ key: fc.stringMatching(/^[A-Za-z0-9_-]{1,20}$/), wait: fc.constantFrom(0, 0.2, 1) })
        .map(({ key, wait }) => ({
          inputs: workflow.inputs,
          idempotencyKey: key,
          wait,
          version: workflow.version,
        })),
      weight: 2,
    },
    { arbitrary: nearValid(fc.constant({ inputs: workflow.inputs, version: workflow.version })), weight: 1 },
    { arbitrary: fc.record({ inputs: nastyJson }), weight: 1 },
  );

/** publish → start → 1–6 controls, some repeated, then a read. */
function chainArb(context: BodyContext): fc.Arbitrary<FuzzItem> {
  return workflowArb(context).chain((workflow) =>
    fc
      .record({
        start: startBodyArb(workflow),
        controls: fc.array(fc.tuple(controlArb, retryNodesArb(workflow)), { minLength: 1, maxLength: 6 }),
        republish: fc.option(nearValid(fc.constant(workflow.definition)), { nil: undefined, freq: 4 }),
      })
      .map(({ start, controls, republish }): FuzzItem => {
        const steps: FuzzRequest[] = [publishOf(workflow), startOf(workflow, start)];
        for (const [control, nodes] of controls) steps.push(controlOf(control, nodes));
        // The same version again: identical (200) or changed (409, or 422 when the change is invalid).
        if (republish !== undefined) steps.push(publishOf(workflow, republish));
        steps.push(controlOf('get', undefined));
        return { kind: 'chain', steps };
      }),
  );
}

/** Many requests at once on one run, one idempotency key or one version. */
function burstArb(context: BodyContext): fc.Arbitrary<FuzzItem> {
  return workflowArb(context).chain((workflow) =>
    fc.oneof(
      fc.array(controlArb, { minLength: 3, maxLength: 8 }).map(
        (controls): FuzzItem => ({
          kind: 'burst',
          prepare: [publishOf(workflow), startOf(workflow, { inputs: workflow.inputs })],
          requests: controls.map((control) => controlOf(control, undefined)),
        }),
      ),
      fc.tuple(fc.stringMatching(/^[a-z0-9]{8,16}$/), fc.integer({ min: 3, max: 8 })).map(
        ([key, count]): FuzzItem => ({
          kind: 'burst',
          prepare: [publishOf(workflow)],
          requests: Array.from({ length: count }, () =>
            startOf(workflow, { inputs: workflow.inputs, idempotencyKey: `fz-${key}` }),
          ),
          invariant: 'same-run',
        }),
      ),
      fc.array(nearValid(fc.constant(workflow.definition)), { minLength: 2, maxLength: 6 }).map(
        (variants): FuzzItem => ({
          kind: 'burst',
          prepare: [],
          requests: [publishOf(workflow), ...variants.map((variant) => publishOf(workflow, variant))],
          invariant: 'one-created',
        }),
      ),
    ),
  );
}

/** The fuzzer's stream: mostly single requests spread evenly over every route, plus sequences. */
export function itemArb(operations: readonly Operation[], context: BodyContext): fc.Arbitrary<FuzzItem> {
  const single = fc.oneof(
    ...operations.map((operation) => ({ arbitrary: requestArb(operation, context), weight: 4 })),
    { arbitrary: unroutedArb(operations), weight: 3 },
  );
  return fc.oneof(
    { arbitrary: single.map((request): FuzzItem => ({ kind: 'single', request })), weight: 20 },
    { arbitrary: chainArb(context), weight: 1 },
    { arbitrary: burstArb(context), weight: 1 },
  );
}

/** How many requests an item sends. */
export const requestCount = (item: FuzzItem): number =>
  item.kind === 'single'
    ? 1
    : item.kind === 'chain'
      ? item.steps.length
      : item.prepare.length + item.requests.length;

/** A 32-bit seed for item `index` of the session seeded `seed`. */
export function itemSeed(seed: number, index: number): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  h = Math.imul(h ^ index, 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) | 0;
}

import { describe, expect, it } from 'vitest';
import { flowExecutors } from '../../../shared/executors/flow.ts';
import { NoopExecutor } from '../../../shared/executors/noop.ts';
import type { ExecutionRequest, ExecutionResult, Executor, Routing } from '../../../shared/ports/executor.ts';
import { ExecutorRegistry } from '../../../shared/ports/executors.ts';
import { WorkflowHarness } from '../../../shared/testing/workflow-harness.ts';

type Behaviour = (request: ExecutionRequest<unknown>) => ExecutionResult | Promise<ExecutionResult>;

/** A kind of the given type whose attempts return what `behaviour` says, with its declarations. */
function kind(
  type: string,
  behaviour: Behaviour,
  declared: Partial<Executor> = {},
): Executor & { calls: number } {
  const executor = {
    ...declared,
    type,
    calls: 0,
    async execute(request: ExecutionRequest<unknown>) {
      executor.calls += 1;
      return behaviour(request);
    },
  };
  return executor;
}

const LAMBDA = { type: 'lambda', function: 'arn:aws:lambda:eu-west-1:1:function:f' } as const;

/** A harness with the flow kinds, noop, and the given kinds (for `lambda` and `callback` nodes). */
async function harnessWith(nodes: Record<string, object>, ...kinds: Executor[]) {
  const executors = flowExecutors().register(new NoopExecutor());
  for (const added of kinds) executors.register(added);
  const harness = new WorkflowHarness({ executors });
  await harness.publish({ id: 'kinds', nodes });
  return harness;
}

describe('the engine settles an attempt by its result’s kind', () => {
  it('stores a succeeded output and releases the children', async () => {
    // Prepare
    const call = kind('lambda', () => ({ kind: 'succeeded', output: { n: 1 } }));
    const harness = await harnessWith({ a: LAMBDA, b: { type: 'noop', needs: ['a'] } }, call);

    // Act
    const run = await harness.run('kinds');

    // Assess
    expect(run.status).toBe('SUCCEEDED');
    expect(run.nodes.a).toMatchObject({ status: 'SUCCEEDED', attempts: 1, output: { n: 1 } });
  });

  it('retries a retryable failure per the node’s policy', async () => {
    // Prepare
    const call = kind('lambda', (request) =>
      request.ctx.attempt === 1
        ? { kind: 'failed', error: { code: 'BUSY', message: 'busy', retryable: true } }
        : { kind: 'succeeded', output: request.ctx.attempt },
    );
    const harness = await harnessWith({ a: { ...LAMBDA, retry: { maxAttempts: 2 } } }, call);

    // Act
    const run = await harness.run('kinds');

    // Assess
    expect(run.nodes.a).toMatchObject({ status: 'SUCCEEDED', attempts: 2, output: 2 });
  });

  it('fails a `final` failure at once, even when retryOn names its code', async () => {
    // Prepare
    const call = kind('lambda', () => ({
      kind: 'failed',
      final: true,
      error: { code: 'BAD_INPUT', message: 'no time named', retryable: true },
    }));
    const retry = { maxAttempts: 3, retryOn: ['BAD_INPUT'] };
    const harness = await harnessWith({ a: { ...LAMBDA, retry } }, call);

    // Act
    const run = await harness.run('kinds');

    // Assess
    expect(run.nodes.a).toMatchObject({ status: 'FAILED', attempts: 1, error: { code: 'BAD_INPUT' } });
    expect(call.calls).toBe(1);
  });

  it('suspends a kind that declares `suspends` until its time, then runs it again woken', async () => {
    // Prepare
    const woken: (string | undefined)[] = [];
    const call = kind(
      'lambda',
      ({ ctx }) => {
        woken.push(ctx.wakeAt);
        return ctx.wakeAt === undefined
          ? { kind: 'suspend-until', at: ctx.now + 60_000 }
          : { kind: 'succeeded', output: 'resumed' };
      },
      { suspends: true },
    );
    const harness = await harnessWith({ a: LAMBDA }, call);
    const startedAt = harness.clock.now();
    const runId = await harness.start('kinds');
    await harness.step();
    const waiting = await harness.view(runId);

    // Act
    await harness.drain();

    // Assess
    const wakeAt = new Date(startedAt + 60_000).toISOString();
    expect(waiting.nodes.a).toMatchObject({ status: 'WAITING', attempts: 1, wakeAt });
    const run = await harness.view(runId);
    expect(run.nodes.a).toMatchObject({ status: 'SUCCEEDED', attempts: 1, output: 'resumed' });
    expect(woken).toEqual([undefined, wakeAt]);
  });

  it.each<[string, string, ExecutionResult, string]>([
    [
      'a suspension from a kind that does not declare `suspends`',
      'lambda',
      { kind: 'suspend-until', at: Date.UTC(2030, 0, 1) },
      'returned a "suspend-until" result without declaring `suspends`',
    ],
    [
      'a wait for an outside completion from a kind that does not declare `awaitsCompletion`',
      'lambda',
      { kind: 'suspend-for-completion', until: Date.UTC(2030, 0, 1) },
      'returned a "suspend-for-completion" result without declaring `awaitsCompletion`',
    ],
    [
      'a spawn of map items (not carried out yet)',
      'lambda',
      { kind: 'spawn', children: [{ kind: 'item', index: 0, item: 1 }] },
      'returned a "spawn" result other than one run from a kind that declares `awaitsCompletion`, which this engine does not carry out',
    ],
  ])('fails the node, without retrying, on %s', async (_what, type, result, message) => {
    // Prepare
    const call = kind(type, () => result);
    const node = type === 'lambda' ? LAMBDA : { type };
    const harness = await harnessWith({ a: { ...node, retry: { maxAttempts: 3 } } }, call);

    // Act
    const run = await harness.run('kinds');

    // Assess
    expect(run.status).toBe('FAILED');
    expect(run.nodes.a).toMatchObject({
      status: 'FAILED',
      attempts: 1,
      error: { code: 'NODE_RESULT_UNSUPPORTED' },
    });
    expect(run.nodes.a?.error?.message).toContain(message);
    expect(run.nodes.a?.error?.message).toContain('this node type cannot run in this deployment');
    expect(call.calls).toBe(1);
  });

  it('fails the node with NODE_RESULT_INVALID when an executor returns something else', async () => {
    // Prepare
    const stale = { ok: true, output: 1 } as unknown as ExecutionResult;
    const harness = await harnessWith(
      { a: LAMBDA },
      kind('lambda', () => stale),
    );

    // Act
    const run = await harness.run('kinds');

    // Assess
    expect(run.nodes.a).toMatchObject({ status: 'FAILED', error: { code: 'NODE_RESULT_INVALID' } });
    expect(run.nodes.a?.error?.message).toContain('returned {"ok":true,"output":1}, which is not a result');
  });
});

describe('the engine routes edges by the kind’s declared routing', () => {
  it('skips a child on a route the output did not choose, with the kind’s reason', async () => {
    // Prepare
    const routing: Routing<unknown> = {
      routesOf: () => ({ left: ['l'], right: ['r'] }),
      chosenRoute: (output) => (output === 'left' || output === 'right' ? output : undefined),
      notTakenReason: (nodeId, chosen, childId) => `${nodeId} went ${chosen}, not to ${childId}`,
    };
    const router = kind('lambda', () => ({ kind: 'succeeded', output: 'left' }), { routing });
    const harness = await harnessWith(
      {
        a: LAMBDA,
        l: { type: 'noop', needs: ['a'] },
        r: { type: 'noop', needs: ['a'] },
        both: { type: 'noop', needs: ['a'] },
      },
      router,
    );

    // Act
    const run = await harness.run('kinds');

    // Assess
    expect(run.status).toBe('SUCCEEDED');
    expect(run.nodes.l?.status).toBe('SUCCEEDED');
    expect(run.nodes.both?.status).toBe('SUCCEEDED');
    expect(run.nodes.r).toMatchObject({ status: 'SKIPPED', reason: 'a went left, not to r' });
  });

  it('fails a condition node with NODE_TYPE_UNAVAILABLE where the condition kind is not wired', async () => {
    // Prepare
    const noop = kind('noop', () => ({ kind: 'succeeded', output: null }));
    const harness = new WorkflowHarness({ executors: new ExecutorRegistry().register(noop) });
    await harness.publish({
      id: 'kinds',
      nodes: {
        check: { type: 'condition', if: '{% true %}', then: ['yes'] },
        yes: { type: 'noop', needs: ['check'] },
      },
    });

    // Act
    const run = await harness.run('kinds');

    // Assess
    expect(run.nodes.check).toMatchObject({ status: 'FAILED', error: { code: 'NODE_TYPE_UNAVAILABLE' } });
    expect(run.nodes.check?.error?.message).toContain('node type "condition" is not available');
    expect(noop.calls).toBe(0);
  });
});

/**
 * The reproductions of issue 8 (item 1), each from a plain workflow any tenant can send. Before
 * the sandbox they hung the process, crashed it, blocked it for seconds, or failed another
 * tenant's node; now each fails its own node with a sandbox verdict, and the process moves on.
 * They go through the harness, the API and the executor as production does.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryApiKeyStore } from '../../../shared/adapters/memory/api-key-store.ts';
import { createApp } from '../../../shared/api/app.ts';
import { ScriptExecutor } from '../../../shared/executors/script.ts';
import { FakeClock } from '../../../shared/ports/clock.ts';
import type { ExecutionRequest, Executor } from '../../../shared/ports/executor.ts';
import { ExecutorRegistry } from '../../../shared/ports/executors.ts';
import { sequentialIds } from '../../../shared/ports/ids.ts';
import { WorkflowHarness } from '../../../shared/testing/workflow-harness.ts';

const SECONDS = 1000;

/** The engine's clock read from the wall: the expression bound is then timed as in production. */
class WallClock extends FakeClock {
  override now(): number {
    return Date.now();
  }
}

/** Records when each node's script starts and ends, around the real script executor. */
function timedScripts() {
  const scripts = new ScriptExecutor();
  const started = new Map<string, () => void>();
  const ended: Record<string, number> = {};
  const executor: Executor = {
    type: 'script',
    async execute(request: ExecutionRequest<unknown>) {
      started.get(request.ctx.nodeId)?.();
      const result = await scripts.execute(request as Parameters<ScriptExecutor['execute']>[0]);
      ended[request.ctx.nodeId] = performance.now();
      return result;
    },
  };
  /** Resolves when the node's script has been handed to the executor. */
  const startOf = (nodeId: string) => new Promise<void>((resolve) => started.set(nodeId, resolve));
  return { registry: new ExecutorRegistry().register(executor), startOf, ended };
}

/** The longest pause of the event loop, measured by a 10 ms ticker, while it runs. */
function lagMeter() {
  let last = performance.now();
  let longest = 0;
  const ticker = setInterval(() => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
  }, 10);
  return {
    stop: () => {
      clearInterval(ticker);
      return Math.max(longest, performance.now() - last);
    },
  };
}

/** Runs a trivial script first, so that loading the script engines is not what the test measures. */
async function warmed(harness: WorkflowHarness): Promise<WorkflowHarness> {
  await harness.publish({ id: 'warm', nodes: { warm: script('js', 'return 1') } });
  await harness.run('warm');
  return harness;
}

const stops: Array<() => unknown> = [];
afterEach(() => {
  for (const stop of stops.splice(0)) stop();
});

const script = (language: 'js' | 'lua', code: string, extra: object = {}) => ({
  type: 'script',
  language,
  code,
  ...extra,
});

describe('issue 8: tenant code cannot hang, crash or stall the process', () => {
  it('stops a Lua finalizer that loops forever (hooks are off in __gc) at the node timeout', async () => {
    // Prepare: a script thread is up, so the 1 s node timeout is not spent starting one
    const harness = await warmed(new WorkflowHarness());
    await harness.publish({
      id: 'finalizer',
      nodes: {
        gc: script('lua', 'setmetatable({}, {__gc = function() while true do end end}) return 1', {
          timeout: '1s',
        }),
      },
    });
    const started = performance.now();

    // Act
    const run = await harness.run('finalizer');

    // Assess
    expect(run.nodes.gc).toMatchObject({ status: 'FAILED', error: { code: 'SCRIPT_TIMEOUT' } });
    expect(performance.now() - started).toBeLessThan(6 * SECONDS);
  }, 20_000);

  it('fails a backtracking Lua pattern (20 s of C code) at the node’s 2 s timeout instead of succeeding late', async () => {
    // Prepare: a script thread is up, so the 2 s node timeout is not spent starting one
    const harness = await warmed(new WorkflowHarness());
    await harness.publish({
      id: 'pattern',
      nodes: {
        find: script('lua', "return string.find(string.rep('a', 200), '.-.-.-.-b')", { timeout: '2s' }),
      },
    });
    const started = performance.now();

    // Act
    const run = await harness.run('pattern');

    // Assess
    expect(run.nodes.find).toMatchObject({ status: 'FAILED', error: { code: 'SCRIPT_TIMEOUT' } });
    expect(performance.now() - started).toBeLessThan(8 * SECONDS);
  }, 30_000);

  it('fails `$count($sort([1..70000]))` with EXPRESSION_MEMORY, and the next run works', async () => {
    // Prepare: a generous time bound, so the memory cap is what stops it, however loaded the machine
    const harness = new WorkflowHarness({ settings: { expressionTimeoutMs: 20 * SECONDS } });
    await harness.publish({
      id: 'sort',
      inputs: { n: { type: 'number' } },
      nodes: { a: { type: 'noop', with: { n: '{% $count($sort([1..$inputs.n])) %}' } } },
    });

    // Act
    const huge = await harness.run('sort', { n: 70_000 });
    const small = await harness.run('sort', { n: 3 });

    // Assess
    expect(huge.nodes.a).toMatchObject({ status: 'FAILED', error: { code: 'EXPRESSION_MEMORY' } });
    expect(huge.nodes.a?.error?.message).toContain('MB');
    expect(small.nodes.a).toMatchObject({ status: 'SUCCEEDED', output: { n: 3 } });
  }, 60_000);

  it('stops `$count($map([1..2000000], $string))` at its 1 s bound while the event loop keeps ticking', async () => {
    // Prepare
    const harness = new WorkflowHarness({ settings: { expressionTimeoutMs: SECONDS } });
    await harness.publish({
      id: 'map',
      nodes: { a: { type: 'noop', with: { n: '{% $count($map([1..2000000], $string)) %}' } } },
    });
    const lag = lagMeter();
    stops.push(lag.stop);

    // Act
    const run = await harness.run('map');
    const longestPause = lag.stop();

    // Assess
    expect(run.nodes.a).toMatchObject({ status: 'FAILED', error: { code: 'EXPRESSION_TIMEOUT' } });
    expect(longestPause).toBeLessThan(1.5 * SECONDS);
  }, 30_000);

  it('refuses `$pad("", 50000000)` before building 50 MB', async () => {
    // Prepare
    const harness = new WorkflowHarness();
    await harness.publish({
      id: 'pad',
      nodes: { a: { type: 'noop', with: { s: '{% $pad("", 50000000) %}' } } },
    });

    // Act
    const run = await harness.run('pad');

    // Assess
    expect(run.nodes.a).toMatchObject({ status: 'FAILED', error: { code: 'EXPRESSION' } });
    expect(run.nodes.a?.error?.message).toContain('$pad for 50000000 characters');
  });

  it('answers /health at once while a script loops for seconds', async () => {
    // Prepare
    const { registry, startOf } = timedScripts();
    const harness = await warmed(new WorkflowHarness({ executors: registry }));
    const app = createApp({
      definitions: harness.definitions,
      clock: harness.clock,
      storeName: 'memory',
      apiKeys: new MemoryApiKeyStore(),
      ids: sequentialIds('key'),
      engine: harness.engine,
    });
    await harness.publish({
      id: 'spin',
      nodes: { spin: script('js', 'while (true) {}', { timeout: '3s' }) },
    });
    const runId = await harness.start('spin');
    const running = startOf('spin');
    const draining = harness.drain();
    await running;

    // Act
    const asked = performance.now();
    const health = await app.request('/health');
    const answeredMs = performance.now() - asked;
    await draining;

    // Assess
    expect(health.status).toBe(200);
    expect(answeredMs).toBeLessThan(1.5 * SECONDS);
    expect((await harness.view(runId)).nodes.spin).toMatchObject({ error: { code: 'SCRIPT_TIMEOUT' } });
  }, 30_000);

  it('keeps the event loop and another tenant’s run moving while a script loops for seconds', async () => {
    // Prepare: two script threads started (the loop holds one), and a loop long enough that even
    // a slow thread start does not decide the order
    const { registry, startOf, ended } = timedScripts();
    const harness = await warmed(new WorkflowHarness({ executors: registry }));
    await harness.publish({
      id: 'pair',
      nodes: { a: script('js', 'return 1'), b: script('js', 'return 2') },
    });
    await harness.run('pair');
    await harness.publish({
      id: 'spin',
      nodes: { spin: script('js', 'while (true) {}', { timeout: '5s' }) },
    });
    await harness.publish({
      id: 'quick',
      inputs: { n: { type: 'number' } },
      outputs: { doubled: '{% $nodes.twice.output %}' },
      nodes: { twice: script('js', 'return inputs.x * 2', { with: { x: '{% $inputs.n + 1 %}' } }) },
    });
    const spinId = await harness.start('spin');
    const running = startOf('spin');
    const lag = lagMeter();
    stops.push(lag.stop);

    // Act
    const spinning = harness.step();
    await running;
    const quickId = await harness.start('quick', { n: 20 });
    await harness.step();
    const quick = await harness.view(quickId);
    await spinning;
    const longestPause = lag.stop();

    // Assess
    expect(quick).toMatchObject({ status: 'SUCCEEDED', outputs: { doubled: 42 } });
    expect((await harness.view(spinId)).nodes.spin).toMatchObject({ error: { code: 'SCRIPT_TIMEOUT' } });
    expect(ended.twice).toBeLessThan(ended.spin ?? 0);
    expect(longestPause).toBeLessThan(1.5 * SECONDS);
  }, 30_000);

  it('does not fail a concurrent node’s trivial expression while a script computes in the same batch', async () => {
    // Prepare: the engine's clock is the wall's, as in production; the script takes 4x the bound
    const harness = await warmed(
      new WorkflowHarness({ clock: new WallClock(), settings: { expressionTimeoutMs: 500 } }),
    );
    await harness.publish({
      id: 'batch',
      nodes: {
        spin: script('js', 'while (true) {}', { timeout: '2s' }),
        quick: { type: 'noop', with: { x: '{% $sum([1, 2, 3]) %}' } },
      },
    });

    // Act: both roots arrive in one batch and are handled concurrently
    const run = await harness.run('batch');

    // Assess
    expect(run.nodes.quick).toMatchObject({ status: 'SUCCEEDED', output: { x: 6 } });
    expect(run.nodes.spin).toMatchObject({ status: 'FAILED', error: { code: 'SCRIPT_TIMEOUT' } });
  }, 30_000);
});

describe('retry policy and sandbox verdicts', () => {
  it('does not retry a script that runs out of time (it would again) unless retryOn names SCRIPT_TIMEOUT', async () => {
    // Prepare: a killed script gets the same verdict (see sandbox-pool.test.ts); a loop the
    // interrupt handler stops keeps the thread, so no attempt waits for a new one
    const harness = await warmed(new WorkflowHarness());
    const once = { timeout: '300ms', retry: { maxAttempts: 3 } };
    const listed = { timeout: '300ms', retry: { maxAttempts: 3, retryOn: ['SCRIPT_TIMEOUT'] } };
    await harness.publish({ id: 'plain', nodes: { loop: script('js', 'while (true) {}', once) } });
    await harness.publish({ id: 'listed', nodes: { loop: script('js', 'while (true) {}', listed) } });

    // Act
    const [plain, retried] = [await harness.run('plain'), await harness.run('listed')];

    // Assess
    expect(plain.nodes.loop).toMatchObject({
      status: 'FAILED',
      attempts: 1,
      error: { code: 'SCRIPT_TIMEOUT' },
    });
    expect(retried.nodes.loop).toMatchObject({
      status: 'FAILED',
      attempts: 3,
      error: { code: 'SCRIPT_TIMEOUT' },
    });
  }, 60_000);
});

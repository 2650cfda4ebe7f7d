import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { SandboxPool } from '../../../shared/adapters/sandbox/sandbox-pool.ts';
import type { ExpressionJob, ScriptJob } from '../../../shared/ports/sandbox.ts';

const ctx = { runId: 'run-1', nodeId: 'compute', attempt: 1 };
const js = (code: string, budgetMs: number, inputs: unknown = {}): ScriptJob => ({
  language: 'js',
  code,
  inputs,
  ctx,
  memoryMb: 64,
  budgetMs,
});
const expression = (value: unknown, timeoutMs: number, inputs: unknown = {}): ExpressionJob => ({
  kind: 'template',
  value,
  scope: { inputs, nodes: {}, run: {} },
  path: '$.with',
  nowMs: 0,
  timeoutMs,
  budgetMs: timeoutMs,
});
/** A script that computes for `ms` of wall time, then returns `value`. */
const busy = (ms: number, value: number) =>
  `const end = Date.now() + ${ms}; while (Date.now() < end) {} return ${value};`;

const opened: SandboxPool[] = [];
const sandbox = (options: ConstructorParameters<typeof SandboxPool>[0] = {}) => {
  const made = new SandboxPool(options);
  opened.push(made);
  return made;
};
afterAll(() => Promise.all(opened.map((made) => made.close())));

describe('SandboxPool', () => {
  it('runs a script and an expression on threads, and a thread serves the next job', async () => {
    // Prepare
    const threads = sandbox();

    // Act
    const scripts = [await threads.runScript(js('return inputs.n * 2', 1000, { n: 21 }))];
    scripts.push(await threads.runScript({ ...js('return inputs.n + 1', 1000, { n: 1 }), language: 'lua' }));
    const value = await threads.evaluate(expression({ n: '{% $inputs.n + 1 %}' }, 1000, { n: 1 }));

    // Assess
    expect(scripts).toEqual([
      { kind: 'succeeded', output: 42 },
      { kind: 'succeeded', output: 2 },
    ]);
    expect(value).toEqual({ ok: true, value: { n: 2 } });
    expect(threads.stats().scripts.hosts).toBe(1);
  });

  it('does not count the time a script waits for a thread against its budget', async () => {
    // Prepare: one thread; the second script waits longer than its whole budget
    const threads = sandbox({ scriptThreads: 1 });

    // Act
    const first = threads.runScript(js(busy(1500, 1), 5000));
    const second = threads.runScript(js(busy(50, 2), 1000));

    // Assess
    expect(await first).toEqual({ kind: 'succeeded', output: 1 });
    expect(await second).toEqual({ kind: 'succeeded', output: 2 });
  }, 20_000);

  it('does not count the time an expression waits for a thread against its bound', async () => {
    // Prepare: one thread, held for a second by an expression that runs out of time
    const threads = sandbox({ expressionProcesses: 1 });

    // Act
    const endless = threads.evaluate(expression('{% ($f := function($n){ $f($n + 1) }; $f(0)) %}', 1000));
    const trivial = threads.evaluate(expression('{% 1 + 1 %}', 200));

    // Assess
    expect(await endless).toMatchObject({ ok: false, error: { code: 'EXPRESSION_TIMEOUT', path: '$.with' } });
    expect(await trivial).toEqual({ ok: true, value: 2 });
  }, 20_000);

  it('kills a thread that ignores its deadline and replaces it for the next job', async () => {
    // Prepare: Lua's count hook does not run inside a C pattern match
    const threads = sandbox({ scriptThreads: 1 });
    const started = performance.now();
    const pattern = {
      ...js("return string.find(string.rep('a', 200), '.-.-.-.-b')", 500),
      language: 'lua' as const,
    };

    // Act
    const killed = await threads.runScript(pattern);
    const elapsed = performance.now() - started;
    const next = await threads.runScript(js('return 7', 1000));

    // Assess
    expect(killed).toMatchObject({ kind: 'failed', error: { code: 'SCRIPT_TIMEOUT', retryable: false } });
    expect(elapsed).toBeLessThan(10_000); // the thread's start included; the pattern alone takes 20 s
    expect(next).toEqual({ kind: 'succeeded', output: 7 });
    expect(threads.stats().scripts.started).toBe(2);
  }, 20_000);

  it('ends a script whose attempt is aborted while it waits for a thread, without running it', async () => {
    // Prepare
    const threads = sandbox({ scriptThreads: 1 });
    const blocker = threads.runScript(js(busy(500, 1), 5000));
    const cancelled = new AbortController();
    const timedOut = new AbortController();

    // Act
    const waiting = threads.runScript(js('return 2', 1000), cancelled.signal);
    const late = threads.runScript(js('return 3', 1000), timedOut.signal);
    cancelled.abort();
    timedOut.abort(new DOMException('the node timed out', 'TimeoutError'));

    // Assess
    expect(await waiting).toMatchObject({
      kind: 'failed',
      error: { code: 'SCRIPT_ABORTED', retryable: true },
    });
    expect(await late).toMatchObject({ kind: 'failed', error: { code: 'SCRIPT_ABORTED', retryable: true } });
    expect(JSON.stringify(await late)).toContain("node's timeout ran out while it waited");
    expect(await blocker).toEqual({ kind: 'succeeded', output: 1 });
  }, 20_000);

  it('stops a running script when its signal fires: an abort is SCRIPT_ABORTED, the node timeout SCRIPT_TIMEOUT', async () => {
    // Prepare: two one-thread sandboxes whose thread is up and idle, so each script starts at once
    const [first, second] = [sandbox({ scriptThreads: 1 }), sandbox({ scriptThreads: 1 })];
    await Promise.all([first.runScript(js('return 1', 1000)), second.runScript(js('return 2', 1000))]);
    const cancel = new AbortController();
    const timeout = new AbortController();
    const started = performance.now();

    // Act
    const cancelled = first.runScript(js('while (true) {}', 30_000), cancel.signal);
    const timedOut = second.runScript(
      { ...js('while true do end', 30_000), language: 'lua' },
      timeout.signal,
    );
    cancel.abort();
    timeout.abort(new DOMException('the node timed out', 'TimeoutError'));

    // Assess
    expect([await cancelled, await timedOut]).toMatchObject([
      { kind: 'failed', error: { code: 'SCRIPT_ABORTED', retryable: true } },
      { kind: 'failed', error: { code: 'SCRIPT_TIMEOUT', retryable: false } },
    ]);
    expect(performance.now() - started).toBeLessThan(10_000);
  }, 20_000);

  it('fails an expression past its process’s heap cap with EXPRESSION_MEMORY, and the process lives on', async () => {
    // Prepare: one range is 10 million numbers, one allocation of about 80 MB: in a worker thread
    // with resourceLimits it would abort the whole process (nodejs/node#47224); the time bound is far
    const threads = sandbox({ expressionHeapMb: 64 });

    // Act
    const range = await threads.evaluate(expression('{% $count([1..10000000]) %}', 30_000));
    const ranges = await threads.evaluate(
      expression('{% $count([[1..5000000], [1..5000000], [1..5000000]]) %}', 30_000),
    );
    const next = await threads.evaluate(expression('{% "still here" %}', 1000));

    // Assess
    expect(range).toMatchObject({ ok: false, error: { code: 'EXPRESSION_MEMORY', path: '$.with' } });
    expect(ranges).toMatchObject({ ok: false, error: { code: 'EXPRESSION_MEMORY' } });
    expect(next).toEqual({ ok: true, value: 'still here' });
  }, 60_000);

  it('fails a script whose inputs overflow its thread’s heap cap with SCRIPT_MEMORY', async () => {
    // Prepare: 48 MB of inputs in 1 KB strings, into a thread capped at 16 MB
    const threads = sandbox({ scriptHeapMb: 16 });
    const inputs = { rows: Array.from({ length: 48 * 1024 }, (_, i) => `${i}`.padEnd(1024, 'x')) };

    // Act
    const result = await threads.runScript(js('return inputs.rows.length', 5000, inputs));
    const next = await threads.runScript(js('return 1', 1000));

    // Assess
    expect(result).toMatchObject({ kind: 'failed', error: { code: 'SCRIPT_MEMORY', retryable: false } });
    expect(next).toEqual({ kind: 'succeeded', output: 1 });
  }, 40_000);

  it('keeps a huge result or error inside the script engine: only a bounded text reaches the thread', async () => {
    // Prepare: 24 MB strings (each engine makes a second copy: JSON text, a rep buffer), within
    // the engines' 64 MB, in a thread whose 16 MB heap could not take them
    const threads = sandbox({ scriptHeapMb: 16 });
    const lua = (code: string) => ({ ...js(code, 10_000), language: 'lua' as const });

    // Act
    const results = [
      await threads.runScript(js('return "x".repeat(24 * 1024 * 1024)', 10_000)),
      await threads.runScript(js('throw "x".repeat(24 * 1024 * 1024)', 10_000)),
      await threads.runScript(lua('return string.rep("x", 24 * 1024 * 1024)')),
      await threads.runScript(lua('error(string.rep("x", 24 * 1024 * 1024))')),
    ];

    // Assess
    expect(results.map((result) => result.kind === 'failed' && result.error.code)).toEqual([
      'OUTPUT_TOO_LARGE',
      'SCRIPT_ERROR',
      'OUTPUT_TOO_LARGE',
      'SCRIPT_ERROR',
    ]);
    for (const result of results) expect(JSON.stringify(result).length).toBeLessThan(5000);
  }, 60_000);

  it('replaces a script thread whose engine memory grew past what a thread keeps', async () => {
    // Prepare: a script that grows QuickJS's WebAssembly memory well past its 16 MB start
    const threads = sandbox({ scriptThreads: 1 });
    await threads.runScript(js('return 1', 1000));
    const grow =
      'const a = []; for (let i = 0; i < 8; i++) a.push(new Uint8Array(8 * 1024 * 1024)); return a.length';

    // Act
    const grown = await threads.runScript(js(grow, 10_000));
    const { hosts, started } = threads.stats().scripts;

    // Assess: the grown thread was replaced by a fresh one
    expect(grown).toEqual({ kind: 'succeeded', output: 8 });
    expect({ hosts, started }).toEqual({ hosts: 1, started: 2 });
  }, 20_000);

  it('fails every job after close, and closes twice without error', async () => {
    // Prepare
    const threads = sandbox();
    await threads.evaluate(expression('{% 1 %}', 1000));

    // Act
    await threads.close();
    await threads.close();
    const script = await threads.runScript(js('return 1', 1000));
    const value = await threads.evaluate(expression('{% 1 %}', 1000));

    // Assess
    expect(script).toMatchObject({ kind: 'failed', error: { code: 'SCRIPT_ENGINE', retryable: true } });
    expect(value).toMatchObject({ ok: false, error: { code: 'EXPRESSION_ENGINE' } });
    expect(threads.stats().expressions.hosts).toBe(0);
  });

  it('does not keep a process alive once its hosts are idle, without close', async () => {
    // Prepare
    const fixture = fileURLToPath(new URL('../../fixtures/sandbox/exits-when-idle.ts', import.meta.url));

    // Act: the child process would hang until the timeout if an idle host held it
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', fixture], {
      timeout: 40_000,
    });

    // Assess
    expect(JSON.parse(stdout)).toEqual({
      script: { kind: 'succeeded', output: 42 },
      expression: { ok: true, value: 42 },
    });
  }, 60_000);
});

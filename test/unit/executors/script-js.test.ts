import { describe, expect, it } from 'vitest';
import { ScriptExecutor } from '../../../shared/executors/script.ts';
import type { ScriptNode } from '../../../shared/executors/script-js.ts';
import { testContext } from './test-context.ts';

const LIMIT_MS = 200;
const executor = new ScriptExecutor({ timeoutMs: LIMIT_MS });

const context = (signal?: AbortSignal) => testContext({ signal });
const js = (code: string, memoryMb?: number): ScriptNode => ({
  type: 'script',
  language: 'js',
  code,
  memoryMb,
});
const run = (code: string, inputs: unknown = {}, memoryMb?: number) =>
  executor.execute({ node: js(code, memoryMb), inputs, ctx: context() });

describe('ScriptExecutor with JavaScript', () => {
  it('returns the value computed from inputs and ctx, with a 1-based attempt', async () => {
    // Act
    const result = await run('return { sum: inputs.a + inputs.b, node: ctx.nodeId, attempt: ctx.attempt }', {
      a: 2,
      b: 3,
    });

    // Assess
    expect(result).toEqual({ kind: 'succeeded', output: { sum: 5, node: 'compute', attempt: 1 } });
  });

  it('fails with SCRIPT_ERROR and the message of a thrown error, retryable under an explicit maxAttempts', async () => {
    // Act
    const result = await run('throw new Error("no customer")');

    // Assess
    expect(result).toEqual({
      kind: 'failed',
      error: { code: 'SCRIPT_ERROR', message: 'no customer', retryable: true },
    });
  });

  it('fails without a retry when the script throws NonRetryableError or an error with retryable: false', async () => {
    // Act
    const typed = await run('throw new NonRetryableError("order 7 is malformed")');
    const marked = await run('throw Object.assign(new Error("bad"), { retryable: false })');
    const plainObject = await run('throw { message: "nope", retryable: false }');

    // Assess
    expect(typed).toEqual({
      kind: 'failed',
      error: { code: 'SCRIPT_ERROR', message: 'NonRetryableError: order 7 is malformed', retryable: false },
    });
    expect(marked).toEqual({
      kind: 'failed',
      error: { code: 'SCRIPT_ERROR', message: 'bad', retryable: false },
    });
    expect(plainObject).toEqual({
      kind: 'failed',
      error: { code: 'SCRIPT_ERROR', message: 'nope', retryable: false },
    });
  });

  it('stops an endless loop with SCRIPT_TIMEOUT soon after the limit', async () => {
    // Prepare
    const started = performance.now();

    // Act
    const result = await run('while (true) {}');

    // Assess
    expect(result).toMatchObject({ kind: 'failed', error: { code: 'SCRIPT_TIMEOUT' } });
    expect(performance.now() - started).toBeLessThan(LIMIT_MS + 1000);
  });

  it('stops a growing array with SCRIPT_MEMORY at the node’s memoryMb, whatever the load on the machine', async () => {
    // Prepare: the time budget is far away, so the memory limit is reached first however slowly
    // the thread runs
    const patient = new ScriptExecutor({ timeoutMs: 20_000 });

    // Act
    const result = await patient.execute({
      node: js('const a = []; while (true) a.push({ i: a.length })', 4),
      inputs: {},
      ctx: context(),
    });

    // Assess
    expect(result).toMatchObject({ kind: 'failed', error: { code: 'SCRIPT_MEMORY', retryable: false } });
    expect(result.kind === 'failed' && result.error.message).toContain('limit 4 MB');
  }, 30_000);

  it('stops buffers that QuickJS does not count at the engine’s bounded WebAssembly memory', async () => {
    // Prepare: a gigabyte of 1 MB buffers; the engine's memory cannot grow past the service limit
    const patient = new ScriptExecutor({ timeoutMs: 20_000 });
    const code =
      'const a = []; for (let i = 0; i < 1000; i++) a.push(new Uint8Array(1024 * 1024)); return a.length';

    // Act
    const result = await patient.execute({ node: js(code), inputs: {}, ctx: context() });

    // Assess
    expect(result).toMatchObject({ kind: 'failed', error: { code: 'SCRIPT_MEMORY', retryable: false } });
  }, 30_000);

  it('offers no require, process, fetch or timers (console only keeps lines)', async () => {
    // Act
    const result = await run('require("fs")');
    const globals = await run('return [typeof process, typeof fetch, typeof setTimeout, typeof require]');

    // Assess
    expect(result).toMatchObject({ kind: 'failed', error: { code: 'SCRIPT_ERROR' } });
    expect(globals).toEqual({
      kind: 'succeeded',
      output: ['undefined', 'undefined', 'undefined', 'undefined'],
    });
  });

  it('refuses an output over 256 KB with OUTPUT_TOO_LARGE naming the node', async () => {
    // Act
    const result = await run('return "x".repeat(300 * 1024)');

    // Assess
    expect(result).toMatchObject({ kind: 'failed', error: { code: 'OUTPUT_TOO_LARGE' } });
    expect(result.kind === 'failed' && result.error.message).toContain('"compute"');
  });

  it('stops a running script when the attempt is aborted, long before its budget', async () => {
    // Prepare: the signal fires while the script waits for a thread or runs; both end the same way
    const controller = new AbortController();
    const aborting = new ScriptExecutor({ timeoutMs: 10_000 });
    const started = performance.now();

    // Act
    const running = aborting.execute({
      node: js('while (true) {}'),
      inputs: {},
      ctx: context(controller.signal),
    });
    setTimeout(() => controller.abort(), 50);
    const result = await running;

    // Assess
    expect(result).toMatchObject({ kind: 'failed', error: { code: 'SCRIPT_ABORTED', retryable: true } });
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('runs the next script normally after a timeout and a stack overflow', async () => {
    // Prepare
    await run('while (true) {}');
    await run('function f() { f(); } f();');

    // Act
    const result = await run('return inputs.n * 2', { n: 21 });

    // Assess
    expect(result).toEqual({ kind: 'succeeded', output: 42 });
  });

  it('returns a result instead of throwing for values that are not JSON', async () => {
    // Act
    const result = await run('return 1n');
    const nothing = await run('return undefined', undefined);

    // Assess
    expect(result).toMatchObject({ kind: 'failed', error: { code: 'SCRIPT_ERROR' } });
    expect(nothing).toEqual({ kind: 'succeeded', output: null });
  });
});

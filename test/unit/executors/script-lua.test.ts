import { describe, expect, it } from 'vitest';
import { ScriptExecutor } from '../../../shared/executors/script.ts';
import type { ScriptNode } from '../../../shared/executors/script-js.ts';
import { testContext } from './test-context.ts';

const LIMIT_MS = 200;
const executor = new ScriptExecutor({ timeoutMs: LIMIT_MS });

const context = (signal?: AbortSignal) => testContext({ signal });
const lua = (code: string, memoryMb?: number): ScriptNode => ({
  type: 'script',
  language: 'lua',
  code,
  memoryMb,
});
const run = (code: string, inputs: unknown = {}, memoryMb?: number) =>
  executor.execute({ node: lua(code, memoryMb), inputs, ctx: context() });

describe('ScriptExecutor with Lua', () => {
  it('returns tables built from inputs and ctx as JSON arrays and objects, with a 1-based attempt', async () => {
    // Act
    const result = await run(
      'return { sum = inputs.a + inputs.b, list = { 1, 2 }, node = ctx.nodeId, attempt = ctx.attempt }',
      {
        a: 2,
        b: 3,
        none: null,
      },
    );

    // Assess
    expect(result).toEqual({
      kind: 'succeeded',
      output: { sum: 5, list: [1, 2], node: 'compute', attempt: 1 },
    });
  });

  it('fails with SCRIPT_ERROR and the message given to error(), retryable under an explicit maxAttempts', async () => {
    // Act
    const result = await run('error("no customer")');

    // Assess
    expect(result).toEqual({
      kind: 'failed',
      error: { code: 'SCRIPT_ERROR', message: 'script:1: no customer', retryable: true },
    });
  });

  it('fails without a retry on error(NonRetryableError(...)), even through pcall re-raising it', async () => {
    // Act
    const direct = await run('error(NonRetryableError("order 7 is malformed"))');
    const rethrown = await run(
      'local ok, e = pcall(function() error(NonRetryableError("deep")) end) error(e)',
    );

    // Assess
    expect(direct).toEqual({
      kind: 'failed',
      error: { code: 'SCRIPT_ERROR', message: 'order 7 is malformed', retryable: false },
    });
    expect(rethrown).toEqual({
      kind: 'failed',
      error: { code: 'SCRIPT_ERROR', message: 'deep', retryable: false },
    });
  });

  it('stops an endless loop with SCRIPT_TIMEOUT soon after the limit, even inside pcall and coroutines', async () => {
    // Prepare
    const started = performance.now();

    // Act
    const plain = await run('while true do end');
    const caught = await run('while true do pcall(function() while true do end end) end');
    const coroutine = await run(
      'while true do coroutine.resume(coroutine.create(function() while true do end end)) end',
    );

    // Assess
    for (const result of [plain, caught, coroutine]) {
      expect(result).toMatchObject({ kind: 'failed', error: { code: 'SCRIPT_TIMEOUT' } });
    }
    expect(performance.now() - started).toBeLessThan(3 * (LIMIT_MS + 1000));
  });

  it('stops a growing table with SCRIPT_MEMORY, whatever the load on the machine', async () => {
    // Prepare: 1 MB strings fill 4 MB in a few steps, and the time budget is far away, so the
    // memory limit is reached first however slowly the thread runs
    const patient = new ScriptExecutor({ timeoutMs: 20_000 });
    const code = "local t = {} for i = 1, 1000 do t[i] = string.rep('x', 1024 * 1024) .. i end return #t";

    // Act
    const result = await patient.execute({ node: lua(code, 4), inputs: {}, ctx: context() });

    // Assess
    expect(result).toMatchObject({ kind: 'failed', error: { code: 'SCRIPT_MEMORY', retryable: false } });
    expect(result.kind === 'failed' && result.error.message).toContain('limit 4 MB');
  }, 30_000);

  it('offers no require, os, io, debug, package or file loading', async () => {
    // Act
    const results = await Promise.all(
      [
        'require("os")',
        'os.execute("ls")',
        'io.open("/etc/passwd")',
        'debug.sethook()',
        'dofile("/etc/passwd")',
      ].map((code) => run(code)),
    );
    const binary = await run('return load("\\27Lua")');

    // Assess
    for (const result of results)
      expect(result).toMatchObject({ kind: 'failed', error: { code: 'SCRIPT_ERROR' } });
    expect(binary).toEqual({ kind: 'succeeded', output: null });
  });

  it('refuses an output over 256 KB with OUTPUT_TOO_LARGE naming the node', async () => {
    // Act
    const result = await run('return string.rep("x", 300 * 1024)');

    // Assess
    expect(result).toMatchObject({ kind: 'failed', error: { code: 'OUTPUT_TOO_LARGE' } });
    expect(result.kind === 'failed' && result.error.message).toContain('"compute"');
  });

  it('runs the next script normally after a timeout, on a fresh engine', async () => {
    // Prepare
    await run('while true do end');

    // Act
    const result = await run('return inputs.n * 2', { n: 21 });

    // Assess
    expect(result).toEqual({ kind: 'succeeded', output: 42 });
  });

  it('returns a result instead of throwing for a table that is not JSON', async () => {
    // Act
    const result = await run('local t = {} t.self = t return t');

    // Assess
    expect(result).toMatchObject({ kind: 'failed', error: { code: 'OUTPUT_NOT_JSON' } });
  });
});

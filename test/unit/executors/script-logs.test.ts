import { describe, expect, it } from 'vitest';
import { ScriptExecutor } from '../../../shared/executors/script.ts';
import { LogCollector, MAX_LOG_BYTES } from '../../../shared/ports/attempt-logs.ts';
import type { ExecutionResult } from '../../../shared/ports/executor.ts';
import { secretRef } from '../../../shared/ports/secrets.ts';
import { testContext } from './test-context.ts';

const secrets = {
  get: async (_tenant: string, name: string) => (name === 'stripe' ? 'sk_live_51abc' : undefined),
};
const executor = new ScriptExecutor({ timeoutMs: 300, secrets });
const run = (language: 'js' | 'lua', code: string, inputs: unknown = {}) =>
  executor.execute({ node: { type: 'script', language, code }, inputs, ctx: testContext() });
const linesOf = (result: ExecutionResult) => ('logs' in result ? (result.logs?.lines ?? []) : []);
const messages = (result: ExecutionResult) =>
  'logs' in result ? result.logs?.lines.map((line) => `${line.level}: ${line.message}`) : undefined;

describe('script logs in JavaScript', () => {
  it('keeps console.log, info, warn, error and debug lines with their level and an ISO time', async () => {
    // Act
    const result = await run(
      'js',
      'console.log("a", 1, true, null); console.info("b"); console.warn("c"); console.error("d"); console.debug("e"); return 1',
    );

    // Assess
    expect(result).toMatchObject({ kind: 'succeeded', output: 1, logs: { truncated: false } });
    expect(messages(result)).toEqual(['log: a 1 true null', 'info: b', 'warn: c', 'error: d', 'log: e']);
    const [line] = linesOf(result);
    expect(new Date(line?.ts ?? '').toISOString()).toBe(line?.ts);
  });

  it('prints objects as JSON, cycles as [Circular], and what cannot be printed safely', async () => {
    // Act
    const result = await run(
      'js',
      `const o = { a: [1, 2] }; o.self = o;
       const bad = { toJSON() { throw new Error('no'); } };
       console.log(o, undefined, 10n, new TypeError('bad input'), bad, function named() {});`,
    );

    // Assess
    expect(messages(result)).toEqual([
      'log: {"a":[1,2],"self":"[Circular]"} undefined 10n TypeError: bad input [unprintable value] [Function: named]',
    ]);
  });

  it('keeps the lines of an attempt that throws or runs out of time', async () => {
    // Act
    const thrown = await run('js', 'console.error("about to fail"); throw new Error("boom")');
    const looped = await run('js', 'console.log("looping"); for (;;) {}');

    // Assess
    expect(thrown).toMatchObject({ kind: 'failed', error: { code: 'SCRIPT_ERROR' } });
    expect(messages(thrown)).toEqual(['error: about to fail']);
    expect(looped).toMatchObject({ kind: 'failed', error: { code: 'SCRIPT_TIMEOUT' } });
    expect(messages(looped)).toEqual(['log: looping']);
  });

  it('carries no logs when the script printed nothing', async () => {
    // Act
    const result = await run('js', 'return 2');

    // Assess
    expect(result).toEqual({ kind: 'succeeded', output: 2 });
  });

  it('stops at 64 KB, saying so on the last line', async () => {
    // Act
    const result = await run(
      'js',
      'for (let i = 0; i < 20000; i++) console.log("line " + i + " ".repeat(40)); return 3',
    );

    // Assess
    expect(result).toMatchObject({ kind: 'succeeded', output: 3, logs: { truncated: true } });
    const lines = linesOf(result);
    const bytes = lines.reduce((sum, line) => sum + Buffer.byteLength(line.message) + 32, 0);
    expect(bytes).toBeLessThanOrEqual(MAX_LOG_BYTES);
    expect(lines.at(-1)).toMatchObject({ level: 'warn', message: expect.stringContaining('logs truncated') });
    expect(lines[0]?.message).toBe(`line 0${' '.repeat(40)}`);
  });
  it('stays bounded when the script replaces the functions the formatter uses', async () => {
    // Act
    const result = await run(
      'js',
      'String.prototype.slice = function () { return this; }; Array.prototype.join = function () { return "y".repeat(2e6); }; console.log("a", "b"); return 1',
    );

    // Assess
    expect(result).toMatchObject({ kind: 'succeeded', output: 1, logs: { truncated: true } });
    const bytes = linesOf(result).reduce((sum, line) => sum + Buffer.byteLength(line.message), 0);
    expect(bytes).toBeLessThanOrEqual(MAX_LOG_BYTES);
  });
});

describe('script logs in Lua', () => {
  it('formats with the string functions captured before the script ran', async () => {
    // Act
    const result = await run(
      'lua',
      'string.sub = function(s) return s end; table.concat = function() return string.rep("y", 2000000) end; print("a", "b") return 1',
    );

    // Assess
    expect(messages(result)).toEqual(['log: a\tb']);
  });

  it('keeps print lines, arguments separated by tabs and tables as JSON', async () => {
    // Act
    const result = await run(
      'lua',
      'local t = { 1, 2 }; local o = { name = "x" }; o.me = o; print("a", 1, nil, true, t); print(o); return 1',
    );

    // Assess
    expect(result).toMatchObject({ kind: 'succeeded', output: 1, logs: { truncated: false } });
    expect(messages(result)).toEqual(['log: a\t1\tnil\ttrue\t[1,2]', expect.stringMatching(/^log: \{/)]);
    const second = (messages(result) ?? [])[1] ?? '';
    expect(JSON.parse(second.slice('log: '.length))).toEqual({ name: 'x', me: '[Circular]' });
  });

  it('keeps the lines of an attempt that raises an error or runs out of time', async () => {
    // Act
    const raised = await run('lua', 'print("about to fail"); error("boom")');
    const looped = await run('lua', 'print("looping"); while true do end');

    // Assess
    expect(raised).toMatchObject({ kind: 'failed', error: { code: 'SCRIPT_ERROR' } });
    expect(messages(raised)).toEqual(['log: about to fail']);
    expect(looped).toMatchObject({ kind: 'failed', error: { code: 'SCRIPT_TIMEOUT' } });
    expect(messages(looped)).toEqual(['log: looping']);
  });

  it('stops at 64 KB, saying so on the last line', async () => {
    // Act
    const result = await run(
      'lua',
      'for i = 1, 20000 do print("line " .. i .. string.rep(" ", 40)) end return 3',
    );

    // Assess
    expect(result).toMatchObject({ kind: 'succeeded', output: 3, logs: { truncated: true } });
    const lines = linesOf(result);
    expect(lines.at(-1)?.message).toContain('logs truncated');
    expect(lines.length).toBeLessThan(2000);
  });
});

describe('secrets in script logs', () => {
  it('masks references and the values of the secrets the inputs reference, raw or in JSON', async () => {
    // Prepare
    const inputs = { token: secretRef('stripe'), other: 'plain' };

    // Act
    const js = await run(
      'js',
      'console.log(inputs); console.log("token is", inputs.token); console.log("leaked sk_live_51abc", JSON.stringify({ k: "sk_live_51abc" }))',
      inputs,
    );
    const lua = await run('lua', 'print(inputs.other, "sk_live_51abc")', inputs);

    // Assess
    expect(messages(js)).toEqual([
      'log: {"token":"***","other":"plain"}',
      'log: token is ***',
      'log: leaked *** {"k":"***"}',
    ]);
    expect(messages(lua)).toEqual(['log: plain\t***']);
    expect(JSON.stringify([js, lua])).not.toContain('sk_live_51abc');
  });
});

describe('LogCollector', () => {
  it('cuts a line at a character boundary and adds one notice', () => {
    // Prepare
    const logs = new LogCollector(() => 0, 400);

    // Act
    const first = logs.add('log', 'é'.repeat(300));
    const second = logs.add('log', 'dropped');

    // Assess
    const result = logs.result();
    expect([first, second]).toEqual([false, false]);
    expect(result?.truncated).toBe(true);
    expect(result?.lines).toHaveLength(2);
    expect(Buffer.byteLength(result?.lines[0]?.message ?? '')).toBeLessThanOrEqual(400 - 160 - 32);
    expect(result?.lines[0]?.message).toMatch(/^é+$/);
    expect(result?.lines[1]?.message).toContain('more than 400 bytes');
  });
});

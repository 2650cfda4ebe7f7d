import { describe, expect, it } from 'vitest';
import { hashToken, tokenMatches } from '../../../shared/engine/completion-token.ts';
import {
  CallbackExecutor,
  callbackWindowMs,
  DEFAULT_CALLBACK_WINDOW_MS,
} from '../../../shared/executors/callback.ts';
import type { CompletionOutcome } from '../../../shared/ports/executor.ts';
import { randomIds } from '../../../shared/ports/ids.ts';
import { testContext } from './test-context.ts';

const NOW = Date.UTC(2026, 0, 1);

const ctx = (completion?: CompletionOutcome) => testContext({ runId: 'r1', nodeId: 'approve', completion });

describe('CallbackExecutor', () => {
  const executor = new CallbackExecutor();
  const node = { type: 'callback' as const, timeout: '2h' };

  it('declares that it waits for a completion, inline', () => {
    expect([executor.type, executor.inline, executor.awaitsCompletion]).toEqual(['callback', true, true]);
  });

  it('suspends until now plus its timeout, or a day without one', async () => {
    expect(await executor.execute({ node, inputs: {}, ctx: ctx() })).toEqual({
      kind: 'suspend-for-completion',
      until: NOW + 2 * 3_600_000,
    });
    expect(await executor.execute({ node: { type: 'callback' }, inputs: {}, ctx: ctx() })).toEqual({
      kind: 'suspend-for-completion',
      until: NOW + DEFAULT_CALLBACK_WINDOW_MS,
    });
    expect(callbackWindowMs({ timeout: 90 })).toBe(90_000);
  });

  it('succeeds with a completion’s output and fails with its error, as given', async () => {
    const output = await executor.execute({
      node,
      inputs: {},
      ctx: ctx({ kind: 'completed', output: { ok: 1 } }),
    });
    const error = { code: 'REJECTED', message: 'no' };
    const failed = await executor.execute({ node, inputs: {}, ctx: ctx({ kind: 'errored', error }) });
    expect(output).toEqual({ kind: 'succeeded', output: { ok: 1 } });
    expect(failed).toEqual({ kind: 'failed', error: { ...error, retryable: false } });
  });

  it('fails with CALLBACK_TIMEOUT, not retryable unless retryOn names it, when the deadline came first', async () => {
    const deadline = '2026-01-01T02:00:00.000Z';
    const result = await executor.execute({ node, inputs: {}, ctx: ctx({ kind: 'expired', deadline }) });
    expect(result).toMatchObject({ kind: 'failed', error: { code: 'CALLBACK_TIMEOUT', retryable: false } });
    expect(result.kind === 'failed' && result.error.message).toContain(deadline);
  });
});

describe('completion tokens', () => {
  it('are 256 random bits, URL-safe, and checked against their sha256 only', () => {
    const token = randomIds.secret(32);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(hashToken(token)).toMatch(/^[0-9a-f]{64}$/);
    expect(tokenMatches(token, hashToken(token))).toBe(true);
    expect(tokenMatches(`${token}x`, hashToken(token))).toBe(false);
    expect(tokenMatches(token, undefined)).toBe(false);
    expect(tokenMatches(token, 'not-hex')).toBe(false);
  });
});

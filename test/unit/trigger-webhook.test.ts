import { createHmac } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { receiveHook } from '../../shared/engine/triggers/webhook.ts';
import { TENANT } from '../../shared/testing/workflow-harness.ts';
import { triggerHarness } from './trigger-fixtures.ts';

/** A webhook trigger on `hello` whose template reads the body and a header. */
async function hookHarness(extra: { github?: boolean } = {}) {
  const h = await triggerHarness();
  const { view, secret } = await h.put('gh', {
    type: 'webhook',
    workflow: 'hello',
    inputs: { name: '{% $inputs.body.user & "/" & $inputs.headers."x-source" %}' },
    ...extra,
  });
  const hookId = view.webhook?.url.split('/').at(-1) ?? '';
  const signed = (id: string, body: string, atMs = h.harness.clock.now(), key = secret ?? '') => ({
    rawBody: body,
    headers: {
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(atMs / 1000)),
      'webhook-signature': new Webhook(key).sign(id, new Date(Math.floor(atMs / 1000) * 1000), body),
      'x-source': 'test',
      authorization: 'Bearer hidden',
    },
  });
  return { ...h, hookId, secret: secret ?? '', signed };
}

describe('receiveHook', () => {
  it('starts a run from a correctly signed delivery, the body and headers in the template', async () => {
    // Prepare
    const { deps, hookId, signed, harness, secret } = await hookHarness();

    // Act
    const result = await receiveHook(deps, hookId, signed('msg_1', '{"user":"ada"}'));

    // Assess
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(result.outcome).toBe('started');
    const run = await harness.engine.getRun(TENANT, result.runId ?? '');
    expect(run.inputs).toEqual({ name: 'ada/test' });
    expect(run.trigger).toEqual({ triggerId: 'gh', deliveryId: 'msg_1' });
  });

  it('answers a replayed delivery (same webhook-id) with the first run, not a new one', async () => {
    // Prepare
    const { deps, hookId, signed, harness, runsOf } = await hookHarness();
    const first = await receiveHook(deps, hookId, signed('msg_1', '{"user":"ada"}'));

    // Act
    harness.clock.advance(60_000);
    const replay = await receiveHook(deps, hookId, signed('msg_1', '{"user":"ada"}'));

    // Assess
    expect(replay).toMatchObject({ outcome: 'duplicate', runId: first.runId });
    expect(await runsOf()).toHaveLength(1);
  });

  it.each([
    [
      'a wrong secret',
      (s: Sign) => s('msg_1', '{}', undefined, 'whsec_d3Jvbmctc2VjcmV0LXdyb25nLXNlY3JldA=='),
    ],
    ['a timestamp over 5 minutes old', (s: Sign, now: number) => s('msg_1', '{}', now - 5 * 60_000 - 1_000)],
    ['a timestamp over 5 minutes ahead', (s: Sign, now: number) => s('msg_1', '{}', now + 6 * 60_000)],
    ['a body changed after signing', (s: Sign) => ({ ...s('msg_1', '{}'), rawBody: '{"x":1}' })],
    ['no signature headers', () => ({ rawBody: '{}', headers: {} })],
  ])('refuses %s with a 401 that says nothing more', async (_name, request) => {
    // Prepare
    const { deps, hookId, signed, harness, runsOf } = await hookHarness();

    // Act
    const act = receiveHook(deps, hookId, request(signed, harness.clock.now()));

    // Assess
    await expect(act).rejects.toMatchObject({ kind: 'unauthenticated', message: 'invalid signature' });
    expect(await runsOf()).toHaveLength(0);
  });

  it('accepts GitHub’s X-Hub-Signature-256 only when the trigger allows it', async () => {
    // Prepare
    const github = await hookHarness({ github: true });
    const plain = await hookHarness();
    const request = (secret: string) => ({
      rawBody: '{"user":"octo"}',
      headers: {
        'x-hub-signature-256': `sha256=${createHmac('sha256', secret).update('{"user":"octo"}').digest('hex')}`,
        'x-github-delivery': 'gh-1',
        'x-source': 'github',
      },
    });

    // Act
    const accepted = await receiveHook(github.deps, github.hookId, request(github.secret));
    const refused = receiveHook(plain.deps, plain.hookId, request(plain.secret));

    // Assess
    expect(accepted.outcome).toBe('started');
    await expect(refused).rejects.toMatchObject({ kind: 'unauthenticated' });
  });

  it('answers 404 for an unknown hook and 409 for a paused trigger', async () => {
    // Prepare
    const { deps, hookId, signed, put } = await hookHarness();
    await put('gh', { type: 'webhook', workflow: 'hello', enabled: false });

    // Act
    const unknown = receiveHook(deps, 'nope', signed('msg_1', '{}'));
    const paused = receiveHook(deps, hookId, signed('msg_1', '{}'));

    // Assess
    await expect(unknown).rejects.toMatchObject({ kind: 'not_found' });
    await expect(paused).rejects.toMatchObject({ kind: 'conflict', code: 'TRIGGER_PAUSED' });
  });
});

type Sign = Awaited<ReturnType<typeof hookHarness>>['signed'];

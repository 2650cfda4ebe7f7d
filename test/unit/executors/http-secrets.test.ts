import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { SsmSecrets } from '../../../shared/adapters/aws/ssm-secrets.ts';
import { LocalSecrets } from '../../../shared/adapters/local-secrets.ts';
import { MemoryRunStore } from '../../../shared/adapters/memory/run-store.ts';
import { HttpExecutor } from '../../../shared/executors/http.ts';
import { defaultExecutors } from '../../../shared/executors/registry.ts';
import { FakeClock } from '../../../shared/ports/clock.ts';
import {
  redactSecrets,
  type Secrets,
  secretNamesIn,
  secretRef,
  withSecrets,
} from '../../../shared/ports/secrets.ts';
import { WorkflowHarness } from '../../../shared/testing/workflow-harness.ts';
import { base, ctx, node, port, useTestServer } from './http-test-server.ts';

useTestServer();

const SECRET = 'sk_live_8f2c41d09a';
const secrets = (values: Record<string, string>): Secrets => ({
  get: async (_tenant, name) => values[name],
});
const withStore = (store: Secrets) => new HttpExecutor({ allow: [`127.0.0.1:${port}`], secrets: store });

describe('secret references', () => {
  it('name a secret without holding it, and are swapped and redacted by name', () => {
    // Act
    const ref = secretRef('stripe');
    const text = `Bearer ${ref}`;

    // Assess
    expect(ref).not.toContain(SECRET);
    expect(secretNamesIn(text)).toEqual(['stripe']);
    expect(withSecrets(text, new Map([['stripe', SECRET]]))).toBe(`Bearer ${SECRET}`);
    expect(redactSecrets({ echoed: `Bearer ${SECRET}`, n: 1 }, new Map([['stripe', SECRET]]))).toEqual({
      echoed: 'Bearer [secret:stripe]',
      n: 1,
    });
    expect(() => secretRef('../etc/passwd')).toThrow('$secret() takes a secret name');
  });
});

describe('the http node with secrets', () => {
  it('sends the value in the header and body, and stores the echo with the value redacted', async () => {
    // Act
    const result = await withStore(secrets({ stripe: SECRET })).execute({
      node,
      ctx,
      inputs: {
        url: `${base}/echo`,
        method: 'POST',
        headers: { authorization: `Bearer ${secretRef('stripe')}` },
        body: { key: secretRef('stripe'), plain: 'hello' },
      },
    });

    // Assess: the server got the value; what the node keeps names the secret instead
    expect(result.kind).toBe('succeeded');
    const output =
      result.kind === 'succeeded' ? (result.output as { body: Record<string, unknown> }) : undefined;
    expect(JSON.stringify(output)).not.toContain(SECRET);
    expect(output?.body.headers).toMatchObject({ authorization: 'Bearer [secret:stripe]' });
    expect(JSON.parse(output?.body.body as string)).toEqual({ key: '[secret:stripe]', plain: 'hello' });
  });

  it('fails at once, naming only the secret, when it is not set, there is no store, or it is in the URL', async () => {
    // Act
    const missing = await withStore(secrets({})).execute({
      node,
      ctx,
      inputs: { url: `${base}/echo`, headers: { authorization: secretRef('stripe') } },
    });
    const noStore = await new HttpExecutor({ allow: [`127.0.0.1:${port}`] }).execute({
      node,
      ctx,
      inputs: { url: `${base}/echo`, headers: { authorization: secretRef('stripe') } },
    });
    const inUrl = await withStore(secrets({ stripe: SECRET })).execute({
      node,
      ctx,
      inputs: { url: `${base}/echo?key=${secretRef('stripe')}` },
    });

    // Assess
    expect(missing).toMatchObject({
      kind: 'failed',
      final: true,
      error: {
        code: 'SECRET_NOT_FOUND',
        message: 'node "call" sends the secret "stripe", which is not set for tenant "acme"',
      },
    });
    expect(noStore).toMatchObject({
      error: { code: 'SECRET_NOT_FOUND', message: expect.stringContaining('no secret store') },
    });
    expect(inUrl).toMatchObject({ final: true, error: { code: 'SECRET_IN_URL' } });
  });
});

describe('secret stores', () => {
  it('read locally a file per tenant and name, else SKEIN_SECRET_<NAME>', async () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'skein-secrets-'));
    mkdirSync(join(dir, 'acme'));
    writeFileSync(join(dir, 'acme', 'stripe'), `${SECRET}\n`);
    const store = new LocalSecrets({ dir, env: { SKEIN_SECRET_GITHUB_TOKEN: 'ghp_x' } });

    // Act / Assess
    expect(await store.get('acme', 'stripe')).toBe(SECRET);
    expect(await store.get('other', 'stripe')).toBeUndefined();
    expect(await store.get('acme', 'github-token')).toBe('ghp_x');
    expect(await store.get('acme', '../acme/stripe')).toBeUndefined();
  });

  it('read on AWS the decrypted parameter /skein/<stage>/<tenant>/<name>, once per five minutes', async () => {
    // Prepare
    const ssm = mockClient(SSMClient);
    ssm
      .on(GetParameterCommand, { Name: '/skein/prod/acme/stripe' })
      .resolves({ Parameter: { Value: SECRET } });
    ssm
      .on(GetParameterCommand, { Name: '/skein/prod/acme/none' })
      .rejects(Object.assign(new Error('not found'), { name: 'ParameterNotFound' }));
    const clock = new FakeClock();
    const store = new SsmSecrets({
      client: new SSMClient({ region: 'eu-west-1' }),
      prefix: '/skein/prod/',
      clock,
    });

    // Act
    const first = await store.get('acme', 'stripe');
    const cached = await store.get('acme', 'stripe');
    clock.advance(300_001);
    const later = await store.get('acme', 'stripe');
    const absent = await store.get('acme', 'none');

    // Assess
    expect([first, cached, later, absent]).toEqual([SECRET, SECRET, SECRET, undefined]);
    expect(ssm.commandCalls(GetParameterCommand).map((call) => call.args[0].input)).toEqual([
      { Name: '/skein/prod/acme/stripe', WithDecryption: true },
      { Name: '/skein/prod/acme/stripe', WithDecryption: true },
      { Name: '/skein/prod/acme/none', WithDecryption: true },
    ]);
    ssm.restore();
  });
});

describe('a run that sends a secret', () => {
  it('keeps the value out of run state, outputs, events and errors (grepped)', async () => {
    // Prepare: the echo server sends the request back, value included
    const runs = new MemoryRunStore();
    const harness = new WorkflowHarness({
      runs,
      executors: defaultExecutors({
        http: { allow: [`127.0.0.1:${port}`], secrets: secrets({ stripe: SECRET }) },
      }),
    });
    await harness.publish({
      id: 'pay',
      outputs: {
        ref: "{% $secret('stripe') %}",
        echoed: '{% $nodes.charge.output.body.headers.authorization %}',
      },
      nodes: {
        charge: {
          type: 'http',
          with: { url: `${base}/echo`, headers: { authorization: "{% 'Bearer ' & $secret('stripe') %}" } },
        },
        missing: {
          type: 'http',
          needs: ['charge'],
          with: { url: `${base}/echo`, headers: { authorization: "{% $secret('absent') %}" } },
        },
      },
    });

    // Act
    const run = await harness.run('pay');

    // Assess
    const stored = { run: await runs.getRun(run.runId), nodes: await runs.listNodes(run.runId) };
    const everything = JSON.stringify({ run, stored, events: harness.events });
    expect(run.nodes.charge?.status).toBe('SUCCEEDED');
    expect(run.nodes.missing).toMatchObject({ status: 'FAILED', error: { code: 'SECRET_NOT_FOUND' } });
    expect(everything).toContain('Bearer [secret:stripe]'); // the echo, as stored
    expect(everything).not.toContain(SECRET);
  });
});

import { randomUUID } from 'node:crypto';
import { FuzzClient } from './client.ts';
import type { Answer, FuzzTarget, TenantKey } from './types.ts';

/**
 * The known-good data written before fuzzing and checked after it: published versions must read
 * back byte-identical, the seed's runs must keep their state (ended, waiting, paused), and the
 * other tenant's workflows, runs and keys must be exactly as they were.
 */
export interface Snapshot {
  /** Path → the answer's text, read with the tenant's own key. */
  readonly reads: ReadonlyArray<{ readonly path: string; readonly key: string; readonly text: string }>;
  /** Key ids of the other tenant (its list must keep exactly these). */
  readonly otherKeyIds: readonly string[];
  readonly seedRuns: readonly string[];
  readonly otherRuns: readonly string[];
  readonly otherWorkflows: readonly string[];
  /** A token only the other tenant's definitions hold: it must never reach the main key. */
  readonly otherSecret: string;
  readonly ownWorkflows: ReadonlyArray<readonly [id: string, version: string]>;
}

const YAML_SEED = `# published as YAML: comments and all must read back the same
id: seed-yaml
description: "Unicode too: Grüße, 你好, 🚀"
inputs:
  name: { type: string, default: "Ada" }
nodes:
  hello: { type: noop }
`;

const quick = (id: string, version: string, secret = '') => ({
  id,
  version,
  description: `seed ${id} ${version}${secret}`,
  nodes: { a: { type: 'noop' }, b: { type: 'noop', needs: ['a'] } },
});
const failing = (id: string) => ({
  id,
  version: '1.0.0',
  nodes: {
    a: { type: 'script', language: 'js', code: 'throw new Error("seed failure")', retry: { maxAttempts: 1 } },
  },
});
const waiting = (id: string, secret = '') => ({
  id,
  version: '1.0.0',
  description: `waits an hour${secret}`,
  nodes: { hold: { type: 'wait', with: { seconds: 3_600 } } },
});

export class SeedApi {
  constructor(
    private readonly client: FuzzClient,
    private readonly deadlineMs: number,
  ) {}

  async call(
    key: TenantKey,
    method: string,
    path: string,
    body?: unknown,
    type = 'application/json',
  ): Promise<Answer> {
    const text = typeof body === 'string' ? body : body === undefined ? undefined : JSON.stringify(body);
    const answer = await this.client.send({
      method,
      path,
      from: FuzzClient.MAIN_ADDRESS,
      headers: { authorization: `Bearer ${key.key}`, ...(text !== undefined && { 'content-type': type }) },
      ...(text !== undefined && { body: text }),
    });
    if (answer.status >= 300)
      throw new Error(`seed: ${method} ${path} answered ${answer.status}: ${answer.text.slice(0, 300)}`);
    return answer;
  }

  async publish(key: TenantKey, id: string, version: string, body: unknown, type?: string): Promise<void> {
    await this.call(key, 'PUT', `/v1/tenants/${key.tenant}/workflows/${id}/versions/${version}`, body, type);
  }

  async start(key: TenantKey, workflow: string, wait: number): Promise<string> {
    const answer = await this.call(key, 'POST', `/v1/tenants/${key.tenant}/workflows/${workflow}/runs`, {
      wait,
    });
    return (JSON.parse(answer.text) as { runId: string }).runId;
  }

  /** Reads the run until `done(view)` holds; the engine runs in the background, so this polls. */
  async until(key: TenantKey, runId: string, done: (view: RunLike) => boolean): Promise<void> {
    const deadline = performance.now() + this.deadlineMs;
    for (;;) {
      const view = JSON.parse(
        (await this.call(key, 'GET', `/v1/tenants/${key.tenant}/runs/${runId}`)).text,
      ) as RunLike;
      if (done(view)) return;
      if (performance.now() > deadline)
        throw new Error(`seed: run ${runId} did not settle: ${JSON.stringify(view).slice(0, 300)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

interface RunLike {
  status: string;
  nodes: Record<string, { status: string }>;
}

const waitingNode = (view: RunLike) => Object.values(view.nodes).every((node) => node.status === 'WAITING');
const ended = (view: RunLike) => ['SUCCEEDED', 'FAILED', 'CANCELLED', 'TIMED_OUT'].includes(view.status);

/** Writes the seed for both tenants and reads back everything the fuzzing must not change. */
export async function writeSeed(target: FuzzTarget, api: SeedApi): Promise<Snapshot> {
  const { own, other } = target;
  const ownWorkflows: Array<[string, string]> = [
    ['seed-quick', '1.0.0'],
    ['seed-quick', '1.1.0'],
    ['seed-fail', '1.0.0'],
    ['seed-wait', '1.0.0'],
    ['seed-yaml', '1.0.0'],
  ];
  await api.publish(own, 'seed-quick', '1.0.0', quick('seed-quick', '1.0.0'));
  await api.publish(own, 'seed-quick', '1.1.0', quick('seed-quick', '1.1.0'));
  await api.publish(own, 'seed-fail', '1.0.0', failing('seed-fail'));
  await api.publish(own, 'seed-wait', '1.0.0', waiting('seed-wait'));
  await api.publish(own, 'seed-yaml', '1.0.0', YAML_SEED, 'application/yaml');
  const otherWorkflows = ['seed-other-quick', 'seed-other-wait'];
  const otherSecret = `other-tenant-secret-${randomUUID()}`;
  await api.publish(
    other,
    'seed-other-quick',
    '1.0.0',
    quick('seed-other-quick', '1.0.0', ` ${otherSecret}`),
  );
  await api.publish(other, 'seed-other-wait', '1.0.0', waiting('seed-other-wait', ` ${otherSecret}`));

  const seedRuns = [
    await api.start(own, 'seed-quick', 10),
    await api.start(own, 'seed-fail', 10),
    await api.start(own, 'seed-wait', 0),
    await api.start(own, 'seed-wait', 0),
  ];
  const otherRuns = [
    await api.start(other, 'seed-other-quick', 10),
    await api.start(other, 'seed-other-wait', 0),
  ];
  for (const runId of seedRuns.slice(0, 2)) await api.until(own, runId, ended);
  for (const runId of seedRuns.slice(2)) await api.until(own, runId, waitingNode);
  await api.until(other, otherRuns[0] as string, ended);
  await api.until(other, otherRuns[1] as string, waitingNode);
  await api.call(own, 'POST', `/v1/tenants/${own.tenant}/runs/${seedRuns[3]}/pause`);

  const reads: Array<{ path: string; key: string; text: string }> = [];
  const read = async (key: TenantKey, path: string) => {
    reads.push({ path, key: key.key, text: (await api.call(key, 'GET', path)).text });
  };
  for (const [id, version] of ownWorkflows)
    await read(own, `/v1/tenants/${own.tenant}/workflows/${id}/versions/${version}`);
  for (const runId of seedRuns) await read(own, `/v1/tenants/${own.tenant}/runs/${runId}`);
  const base = `/v1/tenants/${other.tenant}`;
  await read(other, `${base}/workflows`);
  for (const id of otherWorkflows) {
    await read(other, `${base}/workflows/${id}`);
    await read(other, `${base}/workflows/${id}/versions/1.0.0`);
  }
  await read(other, `${base}/runs`);
  for (const runId of otherRuns) await read(other, `${base}/runs/${runId}`);
  const keys = JSON.parse((await api.call(other, 'GET', `${base}/keys`)).text) as {
    items: { keyId: string }[];
  };
  return {
    reads,
    otherKeyIds: keys.items.map((k) => k.keyId),
    seedRuns,
    otherRuns,
    otherWorkflows,
    otherSecret,
    ownWorkflows,
  };
}

/**
 * A read as compared: a workflow's `runs` counts are the monitor's, counted after the fact (a
 * seeded run's events may be counted after the snapshot), so they are left out.
 */
function stable(path: string, text: string): string {
  if (!/\/workflows\/[^/]+$/.test(path)) return text;
  try {
    const { runs: _counted, ...rest } = JSON.parse(text) as Record<string, unknown>;
    return JSON.stringify(rest);
  } catch {
    return text;
  }
}

/** Reads everything again; each difference is a finding. */
export async function checkSeed(target: FuzzTarget, api: SeedApi, snapshot: Snapshot): Promise<string[]> {
  const problems: string[] = [];
  for (const { path, key, text } of snapshot.reads) {
    const tenant = key === target.own.key ? target.own : target.other;
    try {
      const now = stable(path, (await api.call(tenant, 'GET', path)).text);
      if (now !== stable(path, text))
        problems.push(`${path} changed:\n  before ${text.slice(0, 400)}\n  after  ${now.slice(0, 400)}`);
    } catch (error) {
      problems.push(`${path}: ${(error as Error).message}`);
    }
  }
  const base = `/v1/tenants/${target.other.tenant}`;
  const keys = JSON.parse((await api.call(target.other, 'GET', `${base}/keys`)).text) as {
    items: { keyId: string }[];
  };
  const ids = keys.items.map((k) => k.keyId).join(',');
  if (ids !== snapshot.otherKeyIds.join(','))
    problems.push(`the other tenant's keys changed: ${snapshot.otherKeyIds} → ${ids}`);
  return problems;
}

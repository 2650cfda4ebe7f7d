import { describe, expect, it } from 'vitest';
import { MemoryPayloadStore } from '../../shared/adapters/memory/payload-store.ts';
import { MemoryRunStore } from '../../shared/adapters/memory/run-store.ts';
import { OffloadingRunStore } from '../../shared/adapters/offloading-run-store.ts';
import { RunStoreError } from '../../shared/ports/run-store.ts';
import { EXPIRES, runRecord } from '../contract/run-fixtures.ts';

const KB = 1024;
const big = (kb: number) => ({ text: 'x'.repeat(kb * KB) });

function stores(thresholdBytes = 64 * KB) {
  const inner = new MemoryRunStore();
  const payloads = new MemoryPayloadStore();
  return { inner, payloads, runs: new OffloadingRunStore({ runs: inner, payloads, thresholdBytes }) };
}

async function runningNode(runs: OffloadingRunStore, runId: string, nodeId = 'n') {
  await runs.updateNode(runId, nodeId, { status: ['ABSENT'] }, { set: { status: 'RUNNING' } }, EXPIRES);
}

const succeed = (runs: OffloadingRunStore, runId: string, output: unknown, nodeId = 'n') =>
  runs.updateNode(runId, nodeId, { status: ['RUNNING'] }, { set: { status: 'SUCCEEDED', output } }, EXPIRES);

describe('OffloadingRunStore', () => {
  it('keeps an output over the threshold in the payload store and only a reference in the item', async () => {
    // Prepare
    const { inner, payloads, runs } = stores();
    const run = runRecord();
    await runs.createRun(run, {});
    await runningNode(runs, run.runId);
    const output = big(200);

    // Act
    const written = await succeed(runs, run.runId, output);
    const read = await runs.getNode(run.runId, 'n');

    // Assess
    expect(written?.output).toEqual(output);
    expect(read?.output).toEqual(output);
    const item = await inner.getNode(run.runId, 'n');
    expect(item?.output).toEqual({
      $skeinPayload: {
        key: expect.stringMatching(
          new RegExp(`^${run.tenant}/${run.runId}/nodes/n/output/[0-9a-f]{64}\\.json$`),
        ),
        bytes: Buffer.byteLength(JSON.stringify(output)),
        sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      },
    });
    expect(Buffer.byteLength(JSON.stringify(item))).toBeLessThan(1 * KB);
    expect(payloads.keys()).toHaveLength(1);
  });

  it('keeps values at or under the threshold in the item, and reads them without the payload store', async () => {
    // Prepare
    const { inner, payloads, runs } = stores(64 * KB);
    const run = runRecord();
    await runs.createRun(run, { small: true });
    await runningNode(runs, run.runId);
    const output = 'y'.repeat(64 * KB - 2); // 64 KB of JSON text with its quotes

    // Act
    await succeed(runs, run.runId, output);
    const read = await runs.getNode(run.runId, 'n');

    // Assess
    expect(read?.output).toBe(output);
    expect((await inner.getNode(run.runId, 'n'))?.output).toBe(output);
    expect(await runs.getInputs(run.runId)).toEqual({ small: true });
    expect([payloads.puts, payloads.gets]).toEqual([0, 0]);
  });

  it('offloads large run inputs and run outputs and reads them back', async () => {
    // Prepare
    const { inner, payloads, runs } = stores();
    const run = runRecord();
    const inputs = big(100);
    const outputs = big(150);

    // Act
    await runs.createRun(run, inputs);
    const ended = await runs.updateRun(run.runId, ['RUNNING'], {
      status: 'SUCCEEDED',
      outputs,
      updatedAt: 'u',
    });

    // Assess
    expect(ended?.outputs).toEqual(outputs);
    expect((await runs.getRun(run.runId))?.outputs).toEqual(outputs);
    expect(await runs.getInputs(run.runId)).toEqual(inputs);
    expect(await inner.getInputs(run.runId)).toHaveProperty('$skeinPayload.bytes');
    expect((await inner.getRun(run.runId))?.outputs).toHaveProperty('$skeinPayload.bytes');
    expect(payloads.keys().map((key) => key.split('/').slice(0, 3).join('/'))).toEqual([
      `${run.tenant}/${run.runId}/inputs`,
      `${run.tenant}/${run.runId}/outputs`,
    ]);
  });

  it('fetches no payload for run listings, which carry no outputs', async () => {
    // Prepare
    const { payloads, runs } = stores();
    const run = runRecord();
    await runs.createRun(run, {});
    await runs.updateRun(run.runId, ['RUNNING'], { status: 'SUCCEEDED', outputs: big(100), updatedAt: 'u' });
    const before = payloads.gets;

    // Act
    const page = await runs.listRuns(run.tenant);

    // Assess
    expect(page.items.map((item) => [item.runId, item.outputs])).toEqual([[run.runId, undefined]]);
    expect(payloads.gets).toBe(before);
  });

  it('writes the payload before the item: a failed put writes no reference', async () => {
    // Prepare
    const { inner, payloads, runs } = stores();
    const run = runRecord();
    await runs.createRun(run, {});
    await runningNode(runs, run.runId);
    payloads.put = async () => {
      throw new Error('S3 is down');
    };

    // Act
    const refused = await succeed(runs, run.runId, big(100)).catch((error: unknown) => error);

    // Assess
    expect((refused as Error).message).toBe('S3 is down');
    expect(await inner.getNode(run.runId, 'n')).toMatchObject({ status: 'RUNNING' });
    expect((await inner.getNode(run.runId, 'n'))?.output).toBeUndefined();
  });

  it('resolves the item that refused a conditional write (the claim of a finished node)', async () => {
    // Prepare
    const { runs } = stores();
    const run = runRecord();
    await runs.createRun(run, {});
    await runningNode(runs, run.runId);
    const output = big(100);
    await succeed(runs, run.runId, output);

    // Act
    const claim = await runs.tryUpdateNode(
      run.runId,
      'n',
      { status: ['ABSENT', 'READY'] },
      { set: { status: 'RUNNING' }, bumpFence: true },
      EXPIRES,
    );

    // Assess
    expect(claim).toMatchObject({ applied: false, node: { status: 'SUCCEEDED', output } });
  });

  it('offloads a large completion (a callback’s or a child run’s outputs) and resolves it on the claim', async () => {
    // Prepare
    const { inner, runs } = stores();
    const run = runRecord();
    await runs.createRun(run, {});
    await runs.updateNode(run.runId, 'cb', { status: ['ABSENT'] }, { set: { status: 'WAITING' } }, EXPIRES);
    const completion = { output: big(120) };

    // Act
    await runs.updateNode(run.runId, 'cb', { status: ['WAITING'] }, { set: { completion } }, EXPIRES);
    const claim = await runs.tryUpdateNode(
      run.runId,
      'cb',
      { status: ['WAITING'] },
      { set: { status: 'RUNNING' }, bumpFence: true },
      EXPIRES,
    );

    // Assess
    expect(claim).toMatchObject({ applied: true, node: { status: 'RUNNING', completion } });
    expect((await inner.getNode(run.runId, 'cb'))?.completion).toHaveProperty('$skeinPayload');
  });

  it('stores an output that looks like a reference as a value: a tenant cannot point at any object', async () => {
    // Prepare
    const { payloads, runs } = stores();
    const run = runRecord();
    await runs.createRun(run, {});
    await runningNode(runs, run.runId);
    const forged = { $skeinPayload: { key: `other/${run.runId}/inputs/x.json`, bytes: 1, sha256: 'ab' } };
    const literal = { $skeinLiteral: 1 };

    // Act
    await succeed(runs, run.runId, forged);
    await runningNode(runs, run.runId, 'm');
    await succeed(runs, run.runId, literal, 'm');

    // Assess
    expect((await runs.getNode(run.runId, 'n'))?.output).toEqual(forged);
    expect((await runs.getNode(run.runId, 'm'))?.output).toEqual(literal);
    expect(payloads.gets).toBe(0);
  });

  it('refuses a reference to another run’s object, a missing object and one that does not match its hash', async () => {
    // Prepare
    const { inner, payloads, runs } = stores(0);
    const [a, b] = [runRecord(), runRecord()];
    await runs.createRun(a, { a: 1 });
    await runs.createRun(b, { b: 1 });
    const stored = (await inner.getInputs(a.runId)) as { $skeinPayload: { key: string } };
    const key = stored.$skeinPayload.key;
    await inner.updateNode(b.runId, 'stolen', { status: ['ABSENT'] }, { set: { output: stored } }, EXPIRES);
    await inner.updateNode(
      a.runId,
      'gone',
      { status: ['ABSENT'] },
      { set: { output: { $skeinPayload: { ...stored.$skeinPayload, key: `${key}.missing` } } } },
      EXPIRES,
    );
    await payloads.put(key, Buffer.from('{"a":2}'));

    // Act
    const errors = await Promise.all([
      runs.getNode(b.runId, 'stolen').catch((error: unknown) => error),
      runs.getNode(a.runId, 'gone').catch((error: unknown) => error),
      runs.getInputs(a.runId).catch((error: unknown) => error),
    ]);

    // Assess
    expect(errors.every((error) => error instanceof RunStoreError)).toBe(true);
    expect(errors.map((error) => (error as Error).message)).toEqual([
      expect.stringContaining(`is not of run ${b.runId}`),
      expect.stringContaining('is missing'),
      expect.stringContaining('does not match its sha256'),
    ]);
  });

  it('names an object by its content: two writers of one value write one object', async () => {
    // Prepare
    const { payloads, runs } = stores();
    const run = runRecord();
    await runs.createRun(run, {});
    await runningNode(runs, run.runId);
    const output = big(80);

    // Act
    await Promise.all([succeed(runs, run.runId, output), succeed(runs, run.runId, output)]);

    // Assess
    expect(payloads.puts).toBe(2);
    expect(payloads.keys()).toHaveLength(1);
  });

  it('writes each object to live as long as the item that references it', async () => {
    // Prepare
    const { payloads, runs } = stores(0);
    const expiries: (number | undefined)[] = [];
    const put = payloads.put.bind(payloads);
    payloads.put = (key, bytes, expiresAt) => {
      expiries.push(expiresAt);
      return put(key, bytes, expiresAt);
    };
    const run = runRecord({ expiresAt: 1_000 });

    // Act
    await runs.createRun(run, { a: 1 });
    await runs.updateNode(run.runId, 'n', { status: ['ABSENT'] }, { set: { output: 1 } }, 2_000);
    await runs.updateNode(
      run.runId,
      'm',
      { status: ['ABSENT'] },
      { set: { output: 1, expiresAt: 3_000 } },
      2_000,
    );
    await runs.updateRun(run.runId, ['RUNNING'], {
      status: 'SUCCEEDED',
      outputs: 1,
      expiresAt: 4_000,
      updatedAt: 'u',
    });

    // Assess
    expect(expiries).toEqual([1_000, 2_000, 3_000, 4_000]);
  });

  it('leaves run outputs both set and removed in one change absent, writing no object', async () => {
    // Prepare
    const { payloads, runs } = stores(0);
    const run = runRecord();
    await runs.createRun(run, undefined);

    // Act
    const updated = await runs.updateRun(run.runId, ['RUNNING'], {
      status: 'FAILED',
      outputs: { x: 1 },
      remove: ['outputs'],
      updatedAt: 'u',
    });

    // Assess
    expect(updated?.outputs).toBeUndefined();
    expect((await runs.getRun(run.runId))?.outputs).toBeUndefined();
    expect(payloads.puts).toBe(0);
  });
});

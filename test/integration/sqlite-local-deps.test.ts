import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { localSqliteDeps } from '../../functions/composition/local-sqlite.ts';
import { created, EXPIRES, runRecord } from '../contract/run-fixtures.ts';

const dir = mkdtempSync(join(tmpdir(), 'skein-sqlite-deps-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('localSqliteDeps', () => {
  it('keeps every store and the ready queue in one file across a reopen, and sweeps expired runs at start', async () => {
    // Prepare
    const path = join(dir, 'nested', 'skein.db');
    const first = localSqliteDeps(path);
    const kept = await created(first.runs, runRecord({ expiresAt: EXPIRES }));
    const expired = await created(first.runs, runRecord({ expiresAt: 1 }));
    const key = { keyId: '01J', keyHash: 'h', tenant: 't', createdAt: '2026-01-01T00:00:00.000Z' };
    await first.apiKeys.put(key);
    await first.queue.send([{ body: 'node', group: 't' }]);
    first.close();

    // Act
    const second = localSqliteDeps(path);
    const deadline = Date.now() + 5_000;
    while ((await second.runs.getRun(expired.runId)) && Date.now() < deadline) await sleep(5);
    const received = await second.queue.receive();

    // Assess
    expect(await second.runs.getRun(kept.runId)).toEqual(kept);
    expect(await second.runs.getRun(expired.runId)).toBeUndefined();
    expect(await second.apiKeys.getByHash('h')).toEqual(key);
    expect(received.map((message) => message.body)).toEqual(['node']);
    second.close();
  });
});

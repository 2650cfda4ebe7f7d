import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteRunStore } from '../../shared/adapters/sqlite/sqlite-run-store.ts';
import { EXPIRES } from '../contract/run-fixtures.ts';

const CHILD = fileURLToPath(new URL('./sqlite-race-child.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'skein-sqlite-processes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function raceIn(path: string, name: string, at: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', CHILD, path, name, String(at)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    proc.stdout.on('data', (chunk) => (out += String(chunk)));
    proc.stderr.on('data', (chunk) => (out += String(chunk)));
    proc.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as string[]) : reject(new Error(out))));
  });
}

describe('the SQLite run store shared by processes', { timeout: 60_000 }, () => {
  it('applies each conditional write once when three processes race on the same file', async () => {
    // Prepare
    const path = join(dir, 'race.db');
    const store = new SqliteRunStore({ database: path });
    for (let i = 0; i < 300; i++) {
      await store.updateNode('race', `n${i}`, { status: ['ABSENT'] }, { set: { status: 'READY' } }, EXPIRES);
    }

    // Act
    const at = Date.now() + 4_000;
    const claims = await Promise.all(['a', 'b', 'c'].map((name) => raceIn(path, name, at)));

    // Assess
    const all = claims.flat();
    expect(all).toHaveLength(300);
    expect(new Set(all).size).toBe(300);
    const nodes = await store.getNodes('race', ['n0', 'n150', 'n299']);
    expect(nodes.every((node) => node.status === 'RUNNING' && node.fence === 1)).toBe(true);
    expect((await store.getNode('race', 'join'))?.arrived).toHaveLength(900);
    expect(await store.addDone('race', '0#0', 0, EXPIRES)).toEqual({ applied: false, size: 300 });
    store.close();
  });
});

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lockDataDir } from '../../functions/local/data-lock.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
const folder = () => {
  const dir = mkdtempSync(join(tmpdir(), 'skein-lock-'));
  dirs.push(dir);
  return dir;
};

describe('lockDataDir (one npm start per data folder)', () => {
  it('takes a free folder, refuses it to nobody else while held, and frees it on release', () => {
    // Prepare
    const dir = folder();
    const parent = process.ppid; // a live process other than this one

    // Act
    const taken = lockDataDir(dir);
    writeFileSync(join(dir, 'npm-start.pid'), `${parent}\n`); // as if the parent held it
    const refused = lockDataDir(dir);
    writeFileSync(join(dir, 'npm-start.pid'), `${process.pid}\n`);
    if (taken.ok) taken.release();

    // Assess
    expect(taken.ok).toBe(true);
    expect(refused).toEqual({ ok: false, pid: parent });
    expect(existsSync(join(dir, 'npm-start.pid'))).toBe(false);
  });

  it('replaces the lock of a process that is gone, and an unreadable one', () => {
    // Prepare
    const dead = spawnSync(process.execPath, ['-e', '0']).pid;
    const gone = folder();
    writeFileSync(join(gone, 'npm-start.pid'), `${dead}\n`);
    const garbage = folder();
    writeFileSync(join(garbage, 'npm-start.pid'), 'not a pid');

    // Act
    const afterCrash = lockDataDir(gone);
    const afterGarbage = lockDataDir(garbage);

    // Assess
    expect(afterCrash.ok).toBe(true);
    expect(afterGarbage.ok).toBe(true);
    expect(readFileSync(join(gone, 'npm-start.pid'), 'utf8').trim()).toBe(String(process.pid));
  });
});

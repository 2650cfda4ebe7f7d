/**
 * `<data dir>/npm-start.pid`: one `npm start` per data folder. Two processes on one folder would
 * both consume its queue, and the restart takeover (`restart-recovery.ts`) assumes the work in
 * flight on the file was the stopped process's.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const LOCK_FILE = 'npm-start.pid';

export type DataLock =
  | { readonly ok: true; readonly release: () => void }
  | { readonly ok: false; readonly pid: number };

/**
 * Takes the folder for this process: creates the lock file exclusively (two starts at the same
 * moment cannot both win), replacing one whose process is gone (a crash or `kill -9`). Refused,
 * with the holder's pid, while that process lives.
 * @example const lock = lockDataDir('.skein'); if (!lock.ok) exit(`pid ${lock.pid} uses it`);
 */
export function lockDataDir(dataDir: string): DataLock {
  const file = join(dataDir, LOCK_FILE);
  for (let attempt = 0; ; attempt += 1) {
    try {
      writeFileSync(file, `${process.pid}\n`, { flag: 'wx' });
      return { ok: true, release: () => releaseIfOurs(file) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = pidIn(file);
    if (holder !== undefined && holder !== process.pid && alive(holder)) return { ok: false, pid: holder };
    if (attempt >= 3) return { ok: false, pid: holder ?? 0 }; // another start keeps replacing it
    if (holder === undefined && attempt === 0) {
      // Empty: another start may be writing its pid this very moment. Look again shortly.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
      continue;
    }
    rmSync(file, { force: true }); // stale: its process is gone
  }
}

function releaseIfOurs(file: string): void {
  if (pidIn(file) === process.pid) rmSync(file, { force: true });
}

function pidIn(file: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(file, 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by another user
  }
}

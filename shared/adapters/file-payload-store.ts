import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import type { PayloadStore } from '../ports/payload-store.ts';

/**
 * Payloads as files under `dir` (`npm start` with a data folder: `<data dir>/payloads/`), so large
 * values outlive a restart as the runs that reference them do in DynamoDB Local. Each object is
 * written to a temporary file and renamed into place, so a reader (or a crash) never sees half an
 * object. Expiry is not enforced locally: delete the folder with the data folder.
 * @example const payloads = new FilePayloadStore({ dir: '.skein/payloads' });
 */
export class FilePayloadStore implements PayloadStore {
  private readonly root: string;

  constructor(options: { readonly dir: string }) {
    this.root = resolve(options.dir);
  }

  async put(key: string, bytes: Uint8Array, _expiresAt?: number): Promise<void> {
    const path = this.pathOf(key);
    await mkdir(dirname(path), { recursive: true });
    const temporary = `${path}.${randomUUID()}.tmp`;
    await writeFile(temporary, bytes);
    await rename(temporary, path);
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    try {
      return new Uint8Array(await readFile(this.pathOf(key)));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  /** The file of `key`, which must stay inside the folder (keys are `<tenant>/<run>/...`). */
  private pathOf(key: string): string {
    const path = resolve(join(this.root, key));
    if (!path.startsWith(this.root + sep) || key.includes('\0')) {
      throw new RangeError(`payload key ${JSON.stringify(key.slice(0, 200))} leaves the payload folder`);
    }
    return path;
  }
}

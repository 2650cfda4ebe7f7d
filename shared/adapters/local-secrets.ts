import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SECRET_NAME, type Secrets } from '../ports/secrets.ts';

const TENANT = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/**
 * Secrets on one machine: the file `<dir>/<tenant>/<name>` (its text, a trailing newline dropped),
 * else the variable `SKEIN_SECRET_<NAME>` (upper case, `.` and `-` as `_`) for any tenant. Read on
 * every use, so a changed file counts at once. `npm start` reads `<data dir>/secrets/`, `skein
 * run` `.skein/secrets/`.
 * @example await new LocalSecrets({ dir: '.skein/secrets' }).get('demo', 'stripe')
 */
export class LocalSecrets implements Secrets {
  constructor(private readonly options: { readonly dir: string; readonly env?: NodeJS.ProcessEnv }) {}

  async get(tenant: string, name: string): Promise<string | undefined> {
    if (!SECRET_NAME.test(name) || !TENANT.test(tenant)) return undefined;
    try {
      return (await readFile(join(this.options.dir, tenant, name), 'utf8')).replace(/\r?\n$/, '');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    const env = this.options.env ?? process.env;
    return env[`SKEIN_SECRET_${name.toUpperCase().replace(/[.-]/g, '_')}`];
  }
}

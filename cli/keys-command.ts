import { openLocalStore } from '../functions/local/local-store.ts';
import { createApiKey } from '../shared/engine/api-keys.ts';
import { EXIT, type Io } from './io.ts';

/** `skein keys create --tenant T`: prints a new key once; only its hash is stored. */
export async function keysCreateCommand(
  options: { tenant: string; label?: string; dataDir: string; json?: boolean },
  io: Io,
): Promise<number> {
  const store = await openLocalStore(options.dataDir);
  try {
    const { key } = await createApiKey(store, options.tenant, options.label);
    if (options.json) io.out(JSON.stringify({ tenant: options.tenant, key }));
    else {
      io.out(key);
      io.err(`Created an API key for tenant "${options.tenant}". It is shown only once; store it now.`);
    }
    return EXIT.ok;
  } finally {
    await store.stop();
  }
}

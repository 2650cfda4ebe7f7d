import { SkeinError } from '../shared/domain/problems.ts';
import { EXIT, type Io } from './io.ts';
import {
  BackendError,
  type KeysBackend,
  type KeysTarget,
  type KeyView,
  openKeysBackend,
} from './keys-backends.ts';
import { UsageError } from './run-options.ts';

/** The options every `skein keys` command takes, as commander parses them. */
export interface KeysOptions extends KeysTarget {
  readonly tenant: string;
  readonly json?: boolean;
}

export interface KeysCreateOptions extends KeysOptions {
  readonly label?: string;
}

/**
 * `skein keys create --tenant T [--label L]`: prints a new key once (stdout; `--json` adds its id);
 * only its hash is stored.
 */
export function keysCreateCommand(options: KeysCreateOptions, io: Io): Promise<number> {
  return withBackend(options, io, async (keys) => {
    const created = await keys.create(options.tenant, options.label);
    if (options.json) io.out(JSON.stringify({ tenant: options.tenant, ...created }));
    else {
      io.out(created.key);
      io.err(
        `Created API key ${created.keyId} for tenant "${options.tenant}". It is shown only once; store it now.`,
      );
    }
  });
}

/** `skein keys list --tenant T`: one line per key (id, created, last used, label), oldest first. */
export function keysListCommand(options: KeysOptions, io: Io): Promise<number> {
  return withBackend(options, io, async (keys) => {
    const list = await keys.list(options.tenant);
    if (options.json) io.out(JSON.stringify(list));
    else if (list.length === 0) io.err(`Tenant "${options.tenant}" has no API keys.`);
    else for (const line of table(list)) io.out(line);
  });
}

/**
 * `skein keys revoke KEY_ID --tenant T`: the key stops working at once locally, within 30 s on
 * AWS. Exit 1 when the tenant has no such key.
 */
export function keysRevokeCommand(keyId: string, options: KeysOptions, io: Io): Promise<number> {
  return withBackend(options, io, async (keys) => {
    await keys.revoke(options.tenant, keyId);
    if (options.json) io.out(JSON.stringify({ tenant: options.tenant, keyId, revoked: true }));
    else io.out(`Revoked API key ${keyId} of tenant "${options.tenant}".`);
  });
}

/**
 * Opens the backend, runs the command and closes it. Exit codes: 0 done; 1 refused (unknown key,
 * too many keys, the API refused the key) or unreachable; 2 a usage mistake or bad input.
 */
async function withBackend(options: KeysOptions, io: Io, command: (keys: KeysBackend) => Promise<void>) {
  let keys: KeysBackend | undefined;
  try {
    keys = await openKeysBackend(options);
    await command(keys);
    return EXIT.ok;
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`skein: ${error.message}`);
      return EXIT.usage;
    }
    if (error instanceof SkeinError) {
      io.err(`skein: ${error.code}: ${error.message}`);
      return error.kind === 'invalid' ? EXIT.usage : EXIT.failed;
    }
    if (error instanceof BackendError) {
      io.err(error.message);
      return options.awsTable === undefined ? EXIT.failed : EXIT.usage;
    }
    throw error;
  } finally {
    await keys?.stop();
  }
}

function table(keys: readonly KeyView[]): string[] {
  const rows = [
    ['KEY ID', 'CREATED', 'LAST USED', 'LABEL'],
    ...keys.map((key) => [key.keyId, key.createdAt, key.lastUsedAt ?? '-', key.label ?? '']),
  ];
  const widths = [0, 1, 2].map((column) => Math.max(...rows.map((row) => row[column]?.length ?? 0)));
  return rows.map((row) =>
    row
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join('  ')
      .trimEnd(),
  );
}

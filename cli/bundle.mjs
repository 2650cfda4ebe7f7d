// The CLI's prebuilt bundle: `cli/main.ts` and what it imports (packages too) bundled by esbuild
// into `.cache/cli/<key>/`, `key` a sha256 of every source file the bundle was built from and of
// package-lock.json. Node loads one bundle in a fraction of the time tsx takes to compile the
// sources and Node takes to resolve hundreds of package files (README, "CLI start-up").
//
// Only commands that run nothing locally use it: `run` and `keys` start the sandbox's worker
// threads or DynamoDB Local, whose files are found next to the source modules (`import.meta.url`),
// so they, and any command not listed here, run from source through tsx.
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** First arguments that run from the bundle: help, and the commands that only read files or call an API. */
const BUNDLED = new Set([
  undefined,
  '--help',
  '-h',
  'help',
  '--version',
  '-V',
  'validate',
  'runs',
  'workflows',
  'complete',
  'templates',
  'new',
  'generate',
]);

const root = fileURLToPath(new URL('..', import.meta.url));
const cacheRoot = `${root}.cache/cli`;
const currentFile = `${cacheRoot}/current.json`;

/**
 * The bundle's entry for these arguments, built now when missing or stale; `undefined` when the
 * command runs from source, or the bundle cannot be built (no esbuild): tsx then.
 * @param {string[]} args the arguments after `skein`
 * @returns {Promise<string | undefined>} a file URL to import
 */
export async function bundleEntry(args) {
  if (!BUNDLED.has(args[0])) return undefined;
  try {
    const current = JSON.parse(await readFile(currentFile, 'utf8'));
    if ((await keyOf(current.inputs)) === current.key) return entryOf(current.key);
  } catch {
    // No bundle yet, or a file it was built from is gone: build one.
  }
  try {
    return entryOf(await build());
  } catch {
    return undefined;
  }
}

const entryOf = (key) => pathToFileURL(`${cacheRoot}/${key}/main.mjs`).href;

/** sha256 of the inputs' contents (the lock file stands for the packages), in order. */
async function keyOf(inputs) {
  const hash = createHash('sha256');
  for (const input of [...inputs, 'package-lock.json']) {
    hash
      .update(input)
      .update('\0')
      .update(await readFile(`${root}${input}`))
      .update('\0');
  }
  return hash.digest('hex').slice(0, 32);
}

/** Builds into a fresh folder, names it by its key, and records it as current (both renames atomic). */
async function build() {
  const { build: esbuild } = await import('esbuild');
  const scratch = `${cacheRoot}/build-${process.pid}-${Date.now()}`;
  await mkdir(cacheRoot, { recursive: true });
  const { metafile } = await esbuild({
    absWorkingDir: root,
    entryPoints: ['cli/main.ts'],
    outdir: scratch,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    outExtension: { '.js': '.mjs' },
    // Some packages ship a UMD `main` whose requires esbuild cannot follow; their `module` is ESM.
    mainFields: ['module', 'main'],
    // A native module; only `keys` and `run` load it, and they run from source.
    external: ['better-sqlite3'],
    // Bundled CommonJS packages call require(): give the ESM chunks one.
    banner: {
      js: "import { createRequire as __skeinRequire } from 'node:module'; const require = __skeinRequire(import.meta.url);",
    },
    metafile: true,
    logLevel: 'silent',
  });
  const inputs = Object.keys(metafile.inputs)
    .filter((input) => !input.includes('node_modules/'))
    .sort();
  const key = await keyOf(inputs);
  try {
    await rename(scratch, `${cacheRoot}/${key}`);
  } catch {
    // Another process built the same sources first: keep its folder.
    await rm(scratch, { recursive: true, force: true });
  }
  const next = `${currentFile}.${process.pid}`;
  await writeFile(next, JSON.stringify({ key, inputs }));
  await rename(next, currentFile);
  await prune(key);
  return key;
}

/** Removes older bundles; one of the last minutes may still be loading its chunks in another process. */
async function prune(key) {
  const before = Date.now() - 10 * 60_000;
  for (const name of await readdir(cacheRoot)) {
    const path = `${cacheRoot}/${name}`;
    if (name === key || name.startsWith('current.json')) continue;
    const { mtimeMs } = await stat(path).catch(() => ({ mtimeMs: Date.now() }));
    if (mtimeMs < before) await rm(path, { recursive: true, force: true }).catch(() => {});
  }
}

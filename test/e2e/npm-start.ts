import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const root = new URL('../..', import.meta.url).pathname;

/** `npm start` on a fresh data folder and a free port, as a new user runs it. */
export interface NpmStart {
  readonly url: string;
  /** The demo key it printed (tenant `demo`). */
  readonly key: string;
  readonly dataDir: string;
  /** The `npm start` process (a test may send it a signal). */
  readonly process: ChildProcess;
  /** Everything it printed so far. */
  output(): string;
  stop(): void;
}

/**
 * Starts `npm start` (its entry point) and resolves once it printed its key and URL (45 s at most),
 * on a fresh data folder unless `dataDir` names one (a restart).
 */
export async function startNpmStart(
  args: readonly string[] = [],
  env: NodeJS.ProcessEnv = {},
  dataDir: string = mkdtempSync(join(tmpdir(), 'skein-start-')),
): Promise<NpmStart> {
  let output = '';
  const server: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', 'functions/local/start.ts', '--data-dir', dataDir, ...args],
    { cwd: root, env: { ...process.env, PORT: '0', ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  server.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  server.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  const deadline = Date.now() + 45_000;
  while (!/Try:/.test(output)) {
    if (Date.now() > deadline || server.exitCode !== null) {
      server.kill('SIGKILL');
      throw new Error(`npm start did not come up:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const url = /running at (http:\/\/localhost:\d+)/.exec(output)?.[1] as string;
  const key = /Demo API key for tenant "demo": (\S+)/.exec(output)?.[1] as string;
  return {
    url,
    key,
    dataDir,
    process: server,
    output: () => output,
    stop: () => {
      if (server.exitCode === null) server.kill('SIGKILL');
    },
  };
}

/** What a `skein` command printed and its exit code. */
export interface SkeinResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `skein ...args` (cli/bin.js) from the repository root. With `dataDir` it talks to the
 * `npm start` running on that folder (no --api, no --key, SKEIN_API/SKEIN_KEY cleared); without,
 * it runs offline.
 */
export async function runSkein(args: readonly string[], dataDir?: string): Promise<SkeinResult> {
  const bin = join(root, 'cli/bin.js');
  const options =
    dataDir === undefined
      ? { cwd: root }
      : { cwd: root, env: { ...process.env, SKEIN_API: '', SKEIN_KEY: '' } };
  try {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      [bin, ...args, ...(dataDir === undefined ? [] : ['--data-dir', dataDir])],
      options,
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as SkeinResult;
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

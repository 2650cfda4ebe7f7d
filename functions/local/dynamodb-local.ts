/**
 * Embedded DynamoDB Local for local mode and tests: the jar that `amplify-dynamodb-simulator`
 * ships, started directly with `java` (the package's own launcher fails).
 *
 * Loopback only: DynamoDB Local checks no signatures, so whoever reaches its port reads and writes
 * every table (API keys included). The jar has no listen-address option and binds every interface,
 * so it is started through `dynamodb-local-loopback.java` (Java's source-file mode), which sets
 * 127.0.0.1 on its Jetty connector. A Java runtime without the compiler module (a minimal JRE;
 * Debian's openjdk-17-jre-headless has it) cannot run that file: then the plain jar is started,
 * `loopbackOnly` is false and `onWarning` says so.
 *
 * Process hygiene: a started JVM must never outlive this Node process.
 * - `stop()` sends SIGTERM, then SIGKILL after `stopGraceMs`.
 * - While any instance runs, a `process.on('exit')` hook SIGKILLs them synchronously (an exit hook
 *   cannot wait; the on-disk store is SQLite, which survives a kill).
 * - SIGINT/SIGTERM hooks SIGTERM the JVMs and otherwise leave shutdown to the host: if the host
 *   has its own listener for that signal (a server closing gracefully, vitest), we only kill the
 *   child and never call `process.exit`. If ours is the only listener, merely listening would
 *   have disabled Node's default "terminate on signal", so we remove it and re-raise the signal,
 *   and the process dies exactly as it would have without us (exit status 128 + signal).
 * - The hooks are installed with the first running instance and removed with the last one.
 * A SIGKILL of the Node process itself cannot be intercepted; the JVM then has to be killed by
 * hand (its command line contains `DynamoDBLocal.jar -port <port>`).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { delimiter, dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient, type DynamoDBClientConfig, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export interface DynamoDbLocalOptions {
  /** Port to listen on. @default a free port chosen by the OS */
  readonly port?: number;
  /** Folder for the database files, created if missing. @default in memory (lost on stop) */
  readonly dbPath?: string;
  /** How long to wait for the first successful request. @default 30_000 */
  readonly startTimeoutMs?: number;
  /** The Java executable. @default 'java' (looked up on PATH) */
  readonly javaPath?: string;
  /** How long `stop()` waits after SIGTERM before SIGKILL. @default 5_000 */
  readonly stopGraceMs?: number;
  /** Told when DynamoDB Local could not be bound to loopback only. @default console.warn */
  readonly onWarning?: (message: string) => void;
}

export interface DynamoDbLocal {
  /** `http://127.0.0.1:<port>`, for `DynamoDBClient({ endpoint })`. */
  readonly endpoint: string;
  readonly port: number;
  /** The JVM's process id. */
  readonly pid: number;
  /** True when it listens on 127.0.0.1 only; false when it had to fall back to every interface. */
  readonly loopbackOnly: boolean;
  /** Stops the JVM and resolves once it has exited. Safe to call more than once. */
  stop(): Promise<void>;
}

export const JAVA_INSTALL_HINT = 'apt-get update && apt-get install -y openjdk-17-jre-headless';

/**
 * Starts DynamoDB Local and resolves once it answers a real request.
 * @example
 * const db = await startDynamoDbLocal({ dbPath: '.skein/dynamodb' });
 * const { doc } = dynamoClients(db.endpoint);
 * // ...
 * await db.stop();
 */
export async function startDynamoDbLocal(options: DynamoDbLocalOptions = {}): Promise<DynamoDbLocal> {
  const port = options.port ?? (await freePort());
  if (options.port !== undefined) await assertPortFree(port);
  try {
    return await startJvm({ ...options, port }, 'loopback');
  } catch (error) {
    if (!(error instanceof LoopbackUnsupported)) throw error;
    (options.onWarning ?? console.warn)(
      `WARNING: DynamoDB Local listens on every interface of this machine on port ${port} ` +
        `(${error.message}); it checks no credentials, so block the port from other machines. ` +
        'A Java runtime with the jdk.compiler module (a JDK, or Debian’s openjdk-17-jre-headless) lets Skein bind it to 127.0.0.1.',
    );
    return startJvm({ ...options, port }, 'jar');
  }
}

/** The loopback launcher could not run on this Java runtime. */
class LoopbackUnsupported extends Error {}

const LAUNCHER = fileURLToPath(new URL('./dynamodb-local-loopback.java', import.meta.url));

async function startJvm(
  options: DynamoDbLocalOptions & { readonly port: number },
  mode: 'loopback' | 'jar',
): Promise<DynamoDbLocal> {
  const { port } = options;
  const javaPath = options.javaPath ?? 'java';
  const cwd = emulatorDir();
  const storage = options.dbPath === undefined ? ['-inMemory'] : ['-dbPath', ensureDir(options.dbPath)];
  const classpath = ['DynamoDBLocal.jar', join('DynamoDBLocal_lib', '*')].join(delimiter);
  const main = mode === 'loopback' ? ['-cp', classpath, LAUNCHER] : ['-jar', 'DynamoDBLocal.jar'];
  // -sharedDb: one database whatever the credentials and region, so every local client sees the
  // same tables (without it DynamoDB Local keeps one database per access key and region).
  const args = [
    '-Djava.library.path=./DynamoDBLocal_lib',
    ...main,
    '-port',
    String(port),
    ...storage,
    '-sharedDb',
    '-disableTelemetry',
  ];

  // The launcher exits when its stdin (a pipe nobody writes to) ends: when this process dies,
  // however it dies. The plain jar cannot, so it may outlive a killed parent.
  const child = spawn(javaPath, args, {
    cwd,
    stdio: [mode === 'loopback' ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  });
  const output = outputTail();
  let failure: Error | undefined;
  // A JVM that cannot bind its port logs the exception but does not exit, and the readiness probe
  // could then be answered by whatever holds the port: watch the output for the failure.
  const watch = (chunk: Buffer) => {
    output.push(chunk);
    // Whole lines only: a reason split across two chunks must not be misread.
    const text = output.text();
    const raw = output.raw();
    const lines = raw.slice(0, raw.lastIndexOf('\n') + 1);
    if (mode === 'loopback' && UNSUPPORTED.test(lines)) {
      failure ??= new LoopbackUnsupported(
        UNSUPPORTED.exec(lines)?.[0]?.trim() ?? 'the loopback launcher did not run',
      );
    } else if (/Exception in thread "main"|Failed to bind/.test(lines)) {
      failure ??= new Error(`DynamoDB Local failed to start on port ${port}.${text}`);
    }
  };
  child.stdout?.on('data', watch);
  child.stderr?.on('data', watch);
  child.once('error', (error: NodeJS.ErrnoException) => {
    failure = error.code === 'ENOENT' ? javaMissing(javaPath) : error;
  });
  child.once('exit', () => untrack(child));
  // 'close' comes after the output is read to the end: the launcher's reason is in it by then.
  child.once('close', (code, signal) => {
    const text = output.text();
    const unsupported = mode === 'loopback' && (code === LAUNCHER_UNSUPPORTED_EXIT || UNSUPPORTED.test(text));
    if (unsupported && !(failure instanceof LoopbackUnsupported)) {
      failure = new LoopbackUnsupported(
        UNSUPPORTED.exec(text)?.[0]?.trim() ?? 'the loopback launcher did not run',
      );
    }
    failure ??= new Error(
      `DynamoDB Local exited (${signal ?? `code ${code}`}) before it was ready on port ${port}.${text}`,
    );
  });
  if (child.pid !== undefined) track(child);

  const endpoint = `http://127.0.0.1:${port}`;
  const stop = once(() => stopChild(child, options.stopGraceMs ?? 5_000));
  try {
    await waitUntilReady(endpoint, options.startTimeoutMs ?? 30_000, () => failure, output.text);
  } catch (error) {
    await stop();
    throw error;
  }
  return { endpoint, port, pid: child.pid as number, loopbackOnly: mode === 'loopback', stop };
}

/** What a Java runtime prints when source-file mode cannot run, or our launcher gives up. */
const UNSUPPORTED =
  /skein-loopback-unsupported[^\n]*|[^\n]*jdk\.compiler[^\n]*|A JNI error has occurred[^\n]*|Could not find or load main class[^\n]*/i;
const LAUNCHER_UNSUPPORTED_EXIT = 3;

/**
 * Clients for a local endpoint: region `local` and static dummy credentials, so nothing reads
 * `~/.aws` or the environment. The document client drops `undefined` attributes.
 */
export function dynamoClients(endpoint: string, config: DynamoDBClientConfig = {}) {
  const client = new DynamoDBClient({
    endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    ...config,
  });
  const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  return { client, doc };
}

/** The folder holding `DynamoDBLocal.jar`, inside the installed `amplify-dynamodb-simulator`. */
function emulatorDir(): string {
  const packageJson = createRequire(import.meta.url).resolve('amplify-dynamodb-simulator/package.json');
  const dir = join(dirname(packageJson), 'emulator');
  if (!existsSync(join(dir, 'DynamoDBLocal.jar'))) {
    throw new Error(`DynamoDBLocal.jar is missing from ${dir}; reinstall with: npm ci`);
  }
  return dir;
}

/** A port that was free a moment ago (bind port 0, read it, release it). */
function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolvePort(address.port) : reject(new Error('no port')),
      );
    });
  });
}

async function assertPortFree(port: number): Promise<void> {
  await new Promise<void>((done, reject) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new Error(
              `Cannot start DynamoDB Local: port ${port} is in use; pick another port or omit it for a free one`,
            )
          : error,
      ),
    );
    server.listen(port, () => server.close(() => done()));
  });
}

async function waitUntilReady(
  endpoint: string,
  timeoutMs: number,
  failed: () => Error | undefined,
  lastOutput: () => string,
) {
  const { client } = dynamoClients(endpoint, { maxAttempts: 1, requestHandler: { requestTimeout: 2_000 } });
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      const failure = failed();
      if (failure) throw failure;
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        throw new Error(
          `DynamoDB Local did not answer on ${endpoint} within ${timeoutMs} ms.${lastOutput()}`,
        );
      }
      await sleep(100);
    }
  } finally {
    client.destroy();
  }
}

async function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
    const exited = new Promise<void>((done) => child.once('exit', () => done()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }
  untrack(child);
}

function javaMissing(javaPath: string): Error {
  return new Error(
    `Cannot start DynamoDB Local: "${javaPath}" was not found. It needs a Java runtime (17 or newer); ` +
      `install one with: ${JAVA_INSTALL_HINT} (macOS: brew install openjdk@17), or pass javaPath.`,
  );
}

function ensureDir(path: string): string {
  const absolute = resolve(path); // the JVM runs in the emulator folder, so relative paths would move
  mkdirSync(absolute, { recursive: true });
  return absolute;
}

function outputTail(max = 4_000) {
  let text = '';
  return {
    push: (chunk: Buffer) => {
      text = (text + chunk.toString('utf8')).slice(-max);
    },
    text: () => (text.trim() ? `\nLast output:\n${text.trim()}` : ''),
    raw: () => text,
  };
}

function once<T>(fn: () => Promise<T>): () => Promise<T> {
  let result: Promise<T> | undefined;
  return () => {
    result ??= fn();
    return result;
  };
}

// --- process hooks (see the header comment) ---

const live = new Set<ChildProcess>();
const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

function killAll(signal: NodeJS.Signals) {
  for (const child of live) child.kill(signal);
}

const onExit = () => killAll('SIGKILL');
const onSignal = (signal: NodeJS.Signals) => {
  killAll('SIGTERM');
  if (process.listenerCount(signal) === 1) {
    removeHooks();
    process.kill(process.pid, signal);
  }
};

function track(child: ChildProcess) {
  if (live.size === 0) {
    process.on('exit', onExit);
    for (const signal of SIGNALS) process.on(signal, onSignal);
  }
  live.add(child);
}

function untrack(child: ChildProcess) {
  live.delete(child);
  if (live.size === 0) removeHooks();
}

function removeHooks() {
  process.off('exit', onExit);
  for (const signal of SIGNALS) process.off(signal, onSignal);
}

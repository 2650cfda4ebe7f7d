import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type DynamoDbLocal,
  dynamoClients,
  JAVA_INSTALL_HINT,
  startDynamoDbLocal,
} from '../../functions/local/dynamodb-local.ts';
import { createTables } from '../../shared/adapters/aws/tables.ts';

const started: DynamoDbLocal[] = [];
const folders: string[] = [];
afterAll(async () => {
  await Promise.all(started.map((db) => db.stop()));
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

async function start(options?: Parameters<typeof startDynamoDbLocal>[0]) {
  const db = await startDynamoDbLocal(options);
  started.push(db);
  return db;
}

async function tableNames(endpoint: string) {
  const { client } = dynamoClients(endpoint);
  try {
    return (await client.send(new ListTablesCommand({}))).TableNames ?? [];
  } finally {
    client.destroy();
  }
}

/** Running and not a zombie (an orphan's zombie may never be reaped here). */
const alive = (pid: number) => {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

/** Polls `check` every 100 ms until it returns a value, or fails after `ms`. */
async function until<T>(check: () => T | undefined | null, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== null) return value;
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const isRunning = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
};

describe('startDynamoDbLocal', { timeout: 60_000 }, () => {
  it('starts in memory on a free port and answers ListTables', async () => {
    // Act
    const db = await start();

    // Assess
    expect(db.port).toBeGreaterThan(0);
    expect(db.endpoint).toBe(`http://127.0.0.1:${db.port}`);
    expect(await tableNames(db.endpoint)).toEqual([]);
  });

  it('keeps a table across a stop and a start with the same dbPath', async () => {
    // Prepare
    const dbPath = join(mkdtempSync(join(tmpdir(), 'skein-ddb-')), 'nested', 'store');
    folders.push(dbPath);
    const first = await start({ dbPath });
    const { client } = dynamoClients(first.endpoint);
    await createTables(client, {
      definitions: 'kept-definitions',
      control: 'kept-control',
      runs: 'kept-runs',
    });
    client.destroy();
    await first.stop();

    // Act
    const second = await start({ dbPath });

    // Assess
    expect((await tableNames(second.endpoint)).sort()).toEqual([
      'kept-control',
      'kept-definitions',
      'kept-runs',
    ]);
  });

  it('leaves no Java process behind after stop', async () => {
    // Prepare
    const db = await start();
    expect(isRunning(db.pid)).toBe(true);

    // Act
    await db.stop();
    await db.stop();

    // Assess
    expect(isRunning(db.pid)).toBe(false);
  });

  it('exits when the process that started it is killed with SIGKILL', async () => {
    // Prepare: a process that starts DynamoDB Local and prints the JVM's pid
    const module = new URL('../../functions/local/dynamodb-local.ts', import.meta.url).href;
    const parent = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        `const m = await import('${module}'); const db = await m.startDynamoDbLocal(); console.log('pid', db.pid, db.loopbackOnly);`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let output = '';
    parent.stdout?.on('data', (chunk) => {
      output += chunk;
    });
    const jvm = await until(() => /pid (\d+) (true|false)/.exec(output), 45_000);
    const loopback = jvm[2] === 'true';

    // Act
    parent.kill('SIGKILL');

    // Assess: the launcher saw its stdin end and exited (the plain-jar fallback cannot)
    if (!loopback) return;
    await until(() => (alive(Number(jvm[1])) ? undefined : true), 20_000);
  });

  it('says how to install Java when it is missing', async () => {
    // Act
    const attempt = startDynamoDbLocal({ javaPath: '/nonexistent/java' });

    // Assess
    await expect(attempt).rejects.toThrow(JAVA_INSTALL_HINT);
    await expect(attempt).rejects.toThrow('"/nonexistent/java" was not found');
  });

  it('refuses a port that is already in use', async () => {
    // Prepare
    const busy = await start();

    // Act
    const attempt = startDynamoDbLocal({ port: busy.port });

    // Assess
    await expect(attempt).rejects.toThrow(`port ${busy.port} is in use`);
  });

  it('reports the last output when the process exits before it is ready', async () => {
    // Prepare
    const folder = mkdtempSync(join(tmpdir(), 'skein-java-'));
    folders.push(folder);
    const fakeJava = join(folder, 'java');
    writeFileSync(fakeJava, '#!/bin/sh\necho "Error: Unable to access jarfile" >&2\nexit 3\n', {
      mode: 0o755,
    });

    // Act
    const attempt = startDynamoDbLocal({ javaPath: fakeJava });

    // Assess
    await expect(attempt).rejects.toThrow(
      /exited \(code 3\) before it was ready[\s\S]*Unable to access jarfile/,
    );
  });

  it('gives up on a process that failed to bind its port but keeps running', async () => {
    // Prepare
    const folder = mkdtempSync(join(tmpdir(), 'skein-java-'));
    folders.push(folder);
    const fakeJava = join(folder, 'java');
    const script = 'echo \'Exception in thread "main" java.io.IOException: Failed to bind\'\nexec sleep 60\n';
    writeFileSync(fakeJava, `#!/bin/sh\n${script}`, { mode: 0o755 });

    // Act
    const attempt = startDynamoDbLocal({ javaPath: fakeJava, startTimeoutMs: 20_000 });

    // Assess
    await expect(attempt).rejects.toThrow(/failed to start on port \d+[\s\S]*Failed to bind/);
  });
});

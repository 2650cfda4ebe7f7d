import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { openSqlite } from '../../shared/adapters/sqlite/database.ts';

const CHILD = fileURLToPath(new URL('./sqlite-crash-child.ts', import.meta.url));
const NODES = 502;
const dir = mkdtempSync(join(tmpdir(), 'skein-sqlite-crash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function child(args: string[]): {
  process: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
} {
  const proc = spawn(process.execPath, ['--import', 'tsx', CHILD, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout?.on('data', (chunk) => (out += String(chunk)));
  proc.stderr?.on('data', (chunk) => (out += String(chunk)));
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  return { process: proc, output: () => out, exited };
}

async function until<T>(what: string, read: () => T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(2);
  }
}

describe('the SQLite store and queue across a crash', { timeout: 120_000 }, () => {
  it('finishes a run killed with SIGKILL mid-run in a new process, every node and the run ending once', async () => {
    // Prepare
    const path = join(dir, 'crash.db');
    const first = child([path, 'start']);
    const runId = await until('the run to start', () => /started (\S+)/.exec(first.output())?.[1]);
    const db = openSqlite(path);
    const succeeded = () =>
      (
        db
          .statement(
            `SELECT count(*) AS n FROM nodes WHERE run_id = ? AND json_extract(data, '$.status') = 'SUCCEEDED'`,
          )
          .get(runId) as { n: number }
      ).n;
    const running = () =>
      (
        db
          .statement(
            `SELECT node_id FROM nodes WHERE run_id = ? AND json_extract(data, '$.status') = 'RUNNING'`,
          )
          .all(runId) as { node_id: string }[]
      ).map((row) => row.node_id);
    await until('a fifth of the nodes, some running', () =>
      succeeded() >= NODES / 5 && running().length > 0 ? true : undefined,
    );

    // Act
    first.process.kill('SIGKILL');
    await first.exited;
    const atKill = succeeded();
    const interrupted = running();
    const runAtKill = db.statement(`SELECT status FROM runs WHERE run_id = ?`).get(runId) as {
      status: string;
    };
    const second = child([path, 'resume', runId]);
    const code = await second.exited;

    // Assess
    expect(runAtKill.status).toBe('RUNNING');
    expect(atKill).toBeLessThan(NODES);
    expect(second.output()).toContain('ended SUCCEEDED');
    expect(code).toBe(0);
    expect(succeeded()).toBe(NODES);
    // A node the kill left RUNNING was taken over by the second process: a second attempt.
    const attempts = interrupted.map((nodeId) => {
      const row = db
        .statement('SELECT data FROM nodes WHERE run_id = ? AND node_id = ?')
        .get(runId, nodeId) as {
        data: string;
      };
      return (JSON.parse(row.data) as { attempt: number }).attempt;
    });
    expect(attempts.every((attempt) => attempt >= 2)).toBe(true);
    // The change feed holds each committed change once: one success per node, one end of the run.
    const ends = db
      .statement(
        `SELECT json_extract(new, '$.nodeId') AS node, count(*) AS n FROM outbox
         WHERE kind = 'node' AND json_extract(new, '$.status') = 'SUCCEEDED' GROUP BY node`,
      )
      .all() as { node: string; n: number }[];
    expect(ends).toHaveLength(NODES);
    expect(ends.filter((end) => end.n !== 1)).toEqual([]);
    const runEnds = db
      .statement(
        `SELECT count(*) AS n FROM outbox WHERE kind = 'run' AND json_extract(new, '$.status') = 'SUCCEEDED'`,
      )
      .get() as { n: number };
    expect(runEnds.n).toBe(1);
    const left = db.statement(`SELECT count(*) AS n FROM queue_messages WHERE queue = 'work'`).get() as {
      n: number;
    };
    expect(left.n).toBe(0);
    db.close();
  });
});

import type { NodeRecord } from '../../ports/run-store.ts';
import type { SqliteDatabase } from './database.ts';

/** What `recoverInterrupted` found and released. */
export interface Recovered {
  /** Nodes of active runs that were RUNNING under a lease the stopped process held. */
  readonly nodes: number;
  /** Queue messages it had received and not yet deleted (in flight when it stopped). */
  readonly messages: number;
}

/**
 * Hands back the work a stopped process left in flight, for the process that takes the file
 * over (`npm start` on the same data folder, when no other `npm start` uses it): the nodes it
 * was running get their lease ended (one millisecond before `nowMs`), and the messages it had
 * received become visible now. Their messages then take the nodes over at once, as a worker's
 * message takes over a dead worker's node once its lease has run out on AWS: a new attempt
 * while the retry policy has attempts left, else `WORKER_LOST`. Without it a node that was
 * executing at a crash waits for its message's visibility (60 s) and its lease (its timeout plus
 * 30 s) before anything happens. Only sound when no other process works on the file: the caller
 * checks. One transaction; the change feed is not written (no status changes).
 */
export function recoverInterrupted(sqlite: SqliteDatabase, nowMs: number): Recovered {
  const now = new Date(nowMs).toISOString();
  const ended = new Date(nowMs - 1).toISOString();
  const recover = sqlite.transaction(() => {
    const running = sqlite
      .statement(
        `SELECT n.run_id AS runId, n.node_id AS nodeId, n.data AS data
         FROM runs r JOIN nodes n ON n.run_id = r.run_id
         WHERE r.active = 1 AND json_extract(n.data, '$.status') = 'RUNNING'`,
      )
      .all() as { runId: string; nodeId: string; data: string }[];
    let nodes = 0;
    for (const row of running) {
      const node = JSON.parse(row.data) as NodeRecord;
      if (node.leaseUntil === undefined || node.leaseUntil < now) continue;
      sqlite
        .statement('UPDATE nodes SET data = ? WHERE run_id = ? AND node_id = ?')
        .run(JSON.stringify({ ...node, leaseUntil: ended }), row.runId, row.nodeId);
      nodes += 1;
    }
    const messages = sqlite
      .statement('UPDATE queue_messages SET visible_at = ? WHERE receive_count > 0 AND visible_at > ?')
      .run(nowMs, nowMs).changes;
    return { nodes, messages };
  });
  return recover();
}

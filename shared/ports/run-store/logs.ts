import type { AttemptLogs } from '../attempt-logs.ts';

/**
 * What scripts printed, one item per attempt, apart from the node item: a node completion costs
 * the same whether or not its script printed, and the engine writes this item only for an attempt
 * that printed something (see "Script logs" in shared/ARCHITECTURE.md).
 */
export interface RunStoreLogs {
  /**
   * Stores the lines of attempt `attempt` (1-based) of `nodeId`, replacing any stored for it (a
   * hand-back runs the same attempt again), to expire with the run (`expiresAt`, epoch seconds).
   */
  putLogs(
    runId: string,
    nodeId: string,
    attempt: number,
    logs: AttemptLogs,
    expiresAt: number,
  ): Promise<void>;
  /** The lines stored for that attempt, or `undefined` when it printed nothing (or was never run). */
  getLogs(runId: string, nodeId: string, attempt: number): Promise<AttemptLogs | undefined>;
}

/**
 * Script logs on AWS: besides the item the engine stores with the attempt (what the API and the
 * CLI read), each line goes to the worker's CloudWatch log group as one structured JSON line with
 * its run, node and attempt, so Logs Insights can search them across runs
 * (`filter runId = "…" and nodeId = "…"`). The engine only knows the `onScriptLogs` observer.
 */
import type { AttemptLogsEntry } from '../../shared/ports/attempt-logs.ts';

/** The part of the Powertools logger this needs (tests pass a recorder). */
export interface StructuredLogger {
  info(message: string, ...extra: Record<string, unknown>[]): void;
}

/**
 * An `onScriptLogs` observer writing each line as `script.log` with `tenant`, `runId`, `nodeId`,
 * `attempt`, the script's `level`, `ts` and `message` (and `truncated` on the cut logs' lines).
 * @example new RunEngine({ ..., onScriptLogs: scriptLogWriter(logger) })
 */
export function scriptLogWriter(logger: StructuredLogger): (entry: AttemptLogsEntry) => void {
  return ({ tenant, runId, nodeId, attempt, logs }) => {
    for (const { ts, level, message } of logs.lines) {
      logger.info('script.log', {
        tenant,
        runId,
        nodeId,
        attempt,
        scriptLevel: level,
        scriptTs: ts,
        scriptMessage: message,
        ...(logs.truncated && { truncated: true }),
      });
    }
  };
}

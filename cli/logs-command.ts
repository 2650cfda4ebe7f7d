import type { NodeLogsView } from '../shared/engine/node-logs.ts';
import { CliError, call, tenantPath } from './api-client.ts';
import { EXIT, type Io } from './io.ts';
import { type RunsOptions, withApi } from './runs-command.ts';

/**
 * `skein runs logs RUN NODE [--attempt N] [--json]`: what a script node printed in one attempt
 * (the latest unless told), one line each: time, level, message.
 */
export function runsLogsCommand(
  runId: string,
  nodeId: string,
  options: RunsOptions & { attempt?: string },
  io: Io,
): Promise<number> {
  return withApi(options, io, async (target) => {
    const attempt = options.attempt;
    if (attempt !== undefined && !/^[1-9]\d{0,6}$/.test(attempt)) {
      throw new CliError(`--attempt takes an attempt number (1, 2, ...), got "${attempt}"`, EXIT.usage);
    }
    const query = attempt === undefined ? '' : `?attempt=${attempt}`;
    const path = `${tenantPath(target)}/runs/${encodeURIComponent(runId)}/nodes/${encodeURIComponent(nodeId)}/logs${query}`;
    const logs = await call<NodeLogsView>(target, 'GET', path);
    if (options.json) {
      io.out(JSON.stringify(logs));
      return;
    }
    if (logs.lines.length === 0) io.err(`Node "${logs.node}" printed nothing in attempt ${logs.attempt}.`);
    for (const line of logs.lines) {
      const time = line.ts.slice(11, 23);
      const indented = line.message.replaceAll('\n', `\n${' '.repeat(19)}`);
      io.out(`${time}  ${line.level.toUpperCase().padEnd(5)}  ${indented}`);
    }
    if (logs.truncated) io.err('(cut at 64 KB: the attempt printed more)');
  });
}

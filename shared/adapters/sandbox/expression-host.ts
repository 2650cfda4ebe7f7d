// A host of the expressions lane (a child process): JSONata with its in-process bounds, timed by
// this process's clock.
import { runExpressionJob } from '../../engine/evaluate-in-thread.ts';
import type { ExpressionJob } from '../../ports/sandbox.ts';
import { serveJobs } from './protocol.ts';

const clock = { now: () => performance.now() };

await serveJobs(
  // One evaluation compiles JSONata's own code paths before the first real job.
  async () => {
    await runExpressionJob(
      {
        kind: 'template',
        value: '{% 1 + 1 %}',
        scope: { inputs: {}, nodes: {}, run: {} },
        path: '$',
        nowMs: 0,
        timeoutMs: 1000,
        budgetMs: 1000,
      },
      clock,
    );
  },
  async (job: ExpressionJob) => ({ result: await runExpressionJob(job, clock) }),
);

import { LIMITS } from '../domain/limits.ts';
import { messageOf } from '../ports/executor.ts';
import type { RunRecord } from '../ports/run-store.ts';
import { boundedError } from './bounds.ts';
import { notifyParent } from './child-end.ts';
import { releaseSlot } from './concurrency.ts';
import { ACTIVE_RUN, type EngineContext } from './context.ts';
import { evaluateTemplate } from './evaluate.ts';
import { type Plan, referencedNodes } from './plan.ts';
import { endedExpiry } from './retention.ts';
import { scopeFor } from './scope.ts';

/** Ends a run whose sinks are all done: FAILED when a node failed, else SUCCEEDED with its outputs. */
export async function finishRun(cx: EngineContext, runId: string, plan: Plan): Promise<void> {
  const run = await cx.runs.getRun(runId);
  if (!run || !ACTIVE_RUN.includes(run.status)) return;
  const endedAt = cx.iso();
  const expiresAt = endedExpiry(cx, plan.definition);
  if (run.failed) {
    const ended = await cx.runs.updateRun(runId, ACTIVE_RUN, {
      status: 'FAILED',
      endedAt,
      expiresAt,
      updatedAt: endedAt,
    });
    if (ended) {
      cx.emit({ type: 'run.failed', runId, ...(run.error ? { error: run.error } : {}) });
      await releaseSlot(cx, ended, plan);
      await notifyParent(cx, ended);
    }
    return;
  }
  const outputs = await evaluateOutputs(cx, run, plan);
  const change = outputs.ok
    ? { status: 'SUCCEEDED' as const, outputs: outputs.value }
    : { status: 'FAILED' as const, failed: true, error: boundedError(outputs.error) };
  const ended = await cx.runs.updateRun(runId, ACTIVE_RUN, {
    ...change,
    endedAt,
    expiresAt,
    updatedAt: endedAt,
  });
  if (ended) {
    cx.emit(
      outputs.ok ? { type: 'run.succeeded', runId } : { type: 'run.failed', runId, error: change.error },
    );
    await releaseSlot(cx, ended, plan);
    await notifyParent(cx, ended);
  }
}

async function evaluateOutputs(cx: EngineContext, run: RunRecord, plan: Plan) {
  const template = plan.definition.outputs;
  if (template === undefined) return { ok: true as const, value: {} };
  try {
    const ids = referencedNodes(template, (id) => plan.node(id) !== undefined);
    const scope = await scopeFor(cx, run, ids);
    const value = await evaluateTemplate(template, scope, cx.expressionOptions(), '$.outputs');
    const bytes = Buffer.byteLength(JSON.stringify(value ?? null), 'utf8');
    if (bytes > LIMITS.maxOutputBytes) {
      return {
        ok: false as const,
        error: {
          code: 'OUTPUT_TOO_LARGE',
          message: `the run outputs are ${bytes} bytes of JSON; the limit is ${LIMITS.maxOutputBytes}`,
        },
      };
    }
    return { ok: true as const, value };
  } catch (error) {
    return { ok: false as const, error: { code: 'OUTPUTS', message: `outputs: ${messageOf(error)}` } };
  }
}

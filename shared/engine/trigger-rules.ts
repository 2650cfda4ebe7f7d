import type { z } from 'zod';
import type { triggerRuleSchema } from '../domain/definition-schema.ts';

export type TriggerRule = z.infer<typeof triggerRuleSchema>;

export type TriggerVerdict = { readonly run: true } | { readonly run: false; readonly reason: string };

/**
 * Whether a node whose parents have all finished runs, by its join rule (Airflow's names):
 * - `all_success` (default): every parent succeeded;
 * - `all_done`: always (cleanup steps);
 * - `one_success`: at least one parent succeeded;
 * - `none_failed`: no parent failed (skipped parents are fine).
 * The engine waits for every parent before deciding, so each node is decided exactly once: a
 * `one_success` join does not start when its first parent succeeds, but once all have ended.
 * A parent that was CANCELLED counts as skipped. Once a node has failed the run (no
 * `continueOnError`), a join this rule would run is CANCELLED instead: only `all_done` still runs.
 * A single parent is decided the same way, as a join of one.
 * @example decideTrigger('all_success', ['a', 'b'], { failed: ['a'], skipped: [] })
 * // → { run: false, reason: 'parent "a" failed (trigger all_success)' }
 */
export function decideTrigger(
  rule: TriggerRule,
  parents: readonly string[],
  outcomes: { readonly failed: readonly string[]; readonly skipped: readonly string[] },
): TriggerVerdict {
  if (parents.length === 0 || rule === 'all_done') return { run: true };
  const [failed] = outcomes.failed;
  const [skipped] = outcomes.skipped;
  const succeeded = parents.length - new Set([...outcomes.failed, ...outcomes.skipped]).size;
  switch (rule) {
    case 'all_success':
      if (failed !== undefined)
        return { run: false, reason: `parent "${failed}" failed (trigger all_success)` };
      if (skipped !== undefined) {
        return { run: false, reason: `parent "${skipped}" was skipped (trigger all_success)` };
      }
      return { run: true };
    case 'none_failed':
      return failed === undefined
        ? { run: true }
        : { run: false, reason: `parent "${failed}" failed (trigger none_failed)` };
    case 'one_success':
      return succeeded > 0
        ? { run: true }
        : { run: false, reason: 'no parent succeeded (trigger one_success)' };
  }
}

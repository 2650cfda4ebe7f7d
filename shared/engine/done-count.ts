import type { RunRecord } from '../ports/run-store.ts';
import type { EngineContext } from './context.ts';

/** Where a member is counted: member `member` of done-set shard `shard`, which holds `shardSize`. */
export interface DoneSlot {
  readonly shard: number;
  readonly member: number;
  readonly shardSize: number;
}

/**
 * Counts a member in the done-sets named `<prefix>#<shard>` (then the shard in `<prefix>#top`
 * once its set is full). Idempotent: a member counted twice changes nothing. True when every one
 * of the `shardCount` shards is full; the write that fills the last returns true (and so does a
 * redo of it, after a crash).
 */
export async function countDone(
  cx: EngineContext,
  run: Pick<RunRecord, 'runId' | 'expiresAt'>,
  prefix: string,
  slot: DoneSlot,
  shardCount: number,
): Promise<boolean> {
  const shard = await cx.runs.addDone(run.runId, `${prefix}#${slot.shard}`, slot.member, run.expiresAt);
  if (shard.size < slot.shardSize) return false;
  if (shardCount === 1) return true;
  const top = await cx.runs.addDone(run.runId, `${prefix}#top`, slot.shard, run.expiresAt);
  return top.size === shardCount;
}

import type { RunStoreDoneSets } from '../../ports/run-store.ts';

const key = (runId: string, id: string) => `${runId}\u0000${id}`;

/** The memory run store's done-sets (sink counting): a set of numbers per run and set key. */
export class MemoryDoneSets implements RunStoreDoneSets {
  private readonly done = new Map<string, Set<number>>();

  async addDone(runId: string, setKey: string, member: number): Promise<{ applied: boolean; size: number }> {
    const set = this.setOf(runId, setKey);
    const applied = !set.has(member);
    set.add(member);
    return { applied, size: set.size };
  }

  async addDoneAll(runId: string, setKey: string, members: readonly number[]): Promise<number> {
    if (members.length === 0) throw new RangeError('addDoneAll needs at least one member');
    const set = this.setOf(runId, setKey);
    for (const member of members) set.add(member);
    return set.size;
  }

  private setOf(runId: string, setKey: string): Set<number> {
    const id = key(runId, setKey);
    const set = this.done.get(id) ?? new Set<number>();
    this.done.set(id, set);
    return set;
  }
}

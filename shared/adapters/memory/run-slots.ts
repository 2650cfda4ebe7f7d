import type { SweepPosition } from '../../ports/run-store.ts';

const key = (a: string, b: string) => `${a}\u0000${b}`;

/** The memory store's concurrency slots (a set of holders per cap) and waiting lines (run id order). */
export class MemoryRunSlots {
  private readonly slots = new Map<string, Set<string>>();
  private readonly waiting = new Map<string, Set<string>>();

  async acquire(tenant: string, workflow: string, runId: string, max: number): Promise<boolean> {
    const holders = this.slots.get(key(tenant, workflow)) ?? new Set<string>();
    if (!holders.has(runId) && holders.size >= max) return false;
    holders.add(runId);
    this.slots.set(key(tenant, workflow), holders);
    return true;
  }

  async release(tenant: string, workflow: string, runId: string): Promise<void> {
    this.slots.get(key(tenant, workflow))?.delete(runId);
  }

  async holders(tenant: string, workflow: string): Promise<string[]> {
    return [...(this.slots.get(key(tenant, workflow)) ?? [])];
  }

  async addWaiting(tenant: string, workflow: string, runId: string): Promise<void> {
    const line = this.waiting.get(key(tenant, workflow)) ?? new Set<string>();
    line.add(runId);
    this.waiting.set(key(tenant, workflow), line);
  }

  async removeWaiting(tenant: string, workflow: string, runId: string): Promise<void> {
    this.waiting.get(key(tenant, workflow))?.delete(runId);
  }

  async listWaiting(tenant: string, workflow: string, limit: number): Promise<string[]> {
    return [...(this.waiting.get(key(tenant, workflow)) ?? [])].sort().slice(0, limit);
  }
}

/** The memory store's sweeper lease: one holder until its time, and where the last sweep stopped. */
export class MemorySweepLease {
  private state: { holder?: string; until: number; position: SweepPosition } = {
    until: 0,
    position: { round: 0 },
  };

  async take(holder: string, nowMs: number, untilMs: number): Promise<SweepPosition | undefined> {
    const lease = this.state;
    if (lease.holder !== undefined && lease.until > nowMs) return undefined;
    this.state = { ...lease, holder, until: untilMs };
    return structuredClone(lease.position);
  }

  async save(holder: string, position: SweepPosition, release: boolean): Promise<boolean> {
    const lease = this.state;
    if (lease.holder !== holder) return false;
    const { cursor, round } = position;
    this.state = {
      until: release ? 0 : lease.until,
      ...(release ? {} : { holder }),
      position: { round, ...(cursor === undefined ? {} : { cursor }) },
    };
    return true;
  }
}

import { FuzzClient } from './client.ts';
import type { Answer, FuzzRequest, SentRequest } from './types.ts';

/** A /health probe as a violation records it. */
export const HEALTH_PROBE: FuzzRequest = {
  operation: 'GET /health',
  flavour: 'probe',
  method: 'GET',
  segments: [],
  auth: { kind: 'none' },
};
export const HEALTH_SENT: SentRequest = {
  method: 'GET',
  path: '/health',
  headers: {},
  from: FuzzClient.MAIN_ADDRESS,
};

/** One /health probe; undefined when it failed or took longer than `timeoutMs`. */
export async function probeHealth(client: FuzzClient, timeoutMs: number): Promise<Answer | undefined> {
  const probe = client.send(HEALTH_SENT).catch(() => undefined);
  const timeout = new Promise<undefined>((resolve) =>
    setTimeout(() => resolve(undefined), timeoutMs).unref(),
  );
  return Promise.race([probe, timeout]);
}

/**
 * Probes `/health` in the background, one probe at a time, all through the session: how long the
 * server took to answer is how long its event loop was busy. A stall explains a reset seen at the
 * same time: a socket idle when the stall began is closed by the server's keep-alive timer as
 * soon as the loop runs again, before the request already waiting on it is read.
 */
export class HealthMonitor {
  /** Probes as [sent at, took] in ms of `performance.now()`; undefined took = no answer yet. */
  private readonly probes: Array<{ at: number; took: number }> = [];
  /**
   * Gaps in this process's own timers: the fuzzer's stalls, and in-process the server's too
   * (a stalled loop sends no probe, so probes alone would not see it).
   */
  private readonly gaps: Array<{ at: number; took: number }> = [];
  private ticker: NodeJS.Timeout | undefined;
  private running = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly client: FuzzClient,
    private readonly everyMs = 250,
  ) {}

  start(): void {
    this.running = true;
    this.loop = this.run();
    let last = performance.now();
    this.ticker = setInterval(() => {
      const now = performance.now();
      if (now - last > 500) this.gaps.push({ at: last, took: now - last });
      last = now;
    }, 50);
  }

  async stop(): Promise<void> {
    this.running = false;
    clearInterval(this.ticker);
    await this.loop;
  }

  /** The longest probe. */
  get maxMs(): number {
    return Math.max(0, ...this.probes.map((p) => p.took));
  }

  /** The slowest probe: when it was sent and how long it took. */
  get slowest(): { at: number; took: number } | undefined {
    return this.probes.reduce<{ at: number; took: number } | undefined>(
      (max, p) => (max && max.took >= p.took ? max : p),
      undefined,
    );
  }

  get count(): number {
    return this.probes.length;
  }

  /** The longest stall, of the server or of this process, overlapping [from - keep-alive, to]. */
  stallDuring(from: number, to: number, keepAliveMs = 5_000): number {
    return Math.max(
      0,
      ...[...this.probes, ...this.gaps]
        .filter((p) => p.at <= to && p.at + p.took >= from - keepAliveMs)
        .map((p) => p.took),
    );
  }

  private async run(): Promise<void> {
    while (this.running) {
      const at = performance.now();
      try {
        await this.client.send({
          method: 'GET',
          path: '/health',
          headers: {},
          from: FuzzClient.MAIN_ADDRESS,
        });
      } catch {
        // A failed probe is judged by the session's own probes; here only the time counts.
      }
      this.probes.push({ at, took: performance.now() - at });
      await new Promise((resolve) => setTimeout(resolve, this.everyMs));
    }
  }
}

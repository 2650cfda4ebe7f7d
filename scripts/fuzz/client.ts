import { Agent } from 'undici';
import type { Answer, SentRequest } from './types.ts';

/**
 * Sends requests over real HTTP with undici, the path exactly as given (no URL normalisation, so
 * `%ZZ` and `..` reach the server as written).
 *
 * The server limits failed authentications per client address (20, then one every 3 s). Requests
 * with the two tenants' real keys come from 127.0.0.1, which therefore never fails; requests that
 * may fail come from other loopback addresses (127.0.0.0/8 is all loopback on Linux): most from a
 * rotating set, so they reach the key check, and some from one "hot" address that soon gets 429.
 */
export class FuzzClient {
  private readonly agents = new Map<string, Agent>();
  private readonly retired: Agent[] = [];
  private rotation = 0;
  static readonly MAIN_ADDRESS = '127.0.0.1';
  static readonly HOT_ADDRESS = '127.9.9.9';

  constructor(
    private readonly origin: string,
    private readonly timeoutMs: number,
  ) {}

  /** The source address for a request: 127.0.0.1 for good keys, else a rotating or the hot one. */
  addressFor(good: boolean, pick: number): string {
    if (good) return FuzzClient.MAIN_ADDRESS;
    if (pick % 3 === 0) return FuzzClient.HOT_ADDRESS;
    this.rotation = (this.rotation + 1) % 1024;
    return `127.1.${Math.floor(this.rotation / 254)}.${(this.rotation % 254) + 1}`;
  }

  /**
   * Sends one request; rejects when it fails or takes over the timeout in all (queueing too).
   * After a failure the source address's agent is replaced (and closed once idle), so a
   * connection pool left in a bad state by a reset cannot hold later requests.
   */
  async send(request: SentRequest): Promise<Answer> {
    const started = performance.now();
    const agent = this.agentFor(request.from);
    try {
      const response = await agent.request({
        origin: this.origin,
        path: request.path,
        method: request.method as 'GET',
        headers: request.headers,
        ...(request.body !== undefined && { body: request.body }),
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      const text = await response.body.text();
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(response.headers)) {
        if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
      }
      return { status: response.statusCode, headers, text, ms: performance.now() - started };
    } catch (error) {
      if (this.agents.get(request.from) === agent) {
        // Closed, not destroyed: the other requests in flight on it finish first.
        this.agents.delete(request.from);
        this.retired.push(agent);
        void agent.close().catch(() => {});
      }
      throw error;
    }
  }

  async close(): Promise<void> {
    // A retired agent may be closed already.
    await Promise.all(
      [...this.agents.values(), ...this.retired].map((agent) => agent.close().catch(() => {})),
    );
    this.agents.clear();
  }

  private agentFor(address: string): Agent {
    let agent = this.agents.get(address);
    if (!agent) {
      // No connection limit: the workers bound how many requests are in flight, so nothing
      // queues inside undici. Idle sockets are dropped after 1 s, far from the server's 5 s
      // keep-alive timeout: a socket reused just as the server closes it would fail with a reset
      // that is nobody's bug.
      agent = new Agent({ localAddress: address, keepAliveTimeout: 1_000, keepAliveMaxTimeout: 1_000 });
      this.agents.set(address, agent);
    }
    return agent;
  }
}

import { monitorEventLoopDelay } from 'node:perf_hooks';
import fc from 'fast-check';
import { LIMITS } from '../../shared/domain/limits.ts';
import type { FuzzClient } from './client.ts';
import { HEALTH_PROBE, HEALTH_SENT, HealthMonitor, probeHealth } from './health.ts';
import { burstProblems, judge, learn } from './judge.ts';
import { knownIssueOf } from './known-issues.ts';
import type { Operation } from './operations.ts';
import type { Finding } from './oracles.ts';
import { Stats } from './report.ts';
import type { ResponseSchemas } from './responses.ts';
import { itemSeed, requestCount } from './sequences.ts';
import type { FuzzState } from './state.ts';
import type { Answer, FuzzItem, FuzzRequest, FuzzTarget, SentRequest, Violation } from './types.ts';

export interface SessionOptions {
  readonly seed: number;
  readonly requests: number;
  readonly concurrency: number;
  /** A /health probe, judged, after every this many requests. */
  readonly healthEvery: number;
  /** The most that probe may take. */
  readonly healthTimeoutMs: number;
}

type Scope = { chainRun?: string };
interface Sent {
  readonly sent: SentRequest;
  readonly answer?: Answer;
  readonly findings: Finding[];
  readonly violation?: Violation;
  readonly runId?: string;
}

/**
 * Sends the items of one seed with `concurrency` workers (a chain runs in order on one worker
 * while the others go on: random interleaving), judges every answer and learns ids from them.
 */
export class Session {
  readonly stats = new Stats();
  readonly violations: Violation[] = [];
  private readonly monitor: HealthMonitor;
  private nextIndex = 0;
  private planned = 0;
  private sinceHealth = 0;
  /** While shrinking: answers are judged but neither counted nor recorded. */
  private quiet = false;
  private readonly singles = new Map<Violation, number>();

  constructor(
    private readonly target: FuzzTarget,
    private readonly options: SessionOptions,
    private readonly client: FuzzClient,
    private readonly operations: readonly Operation[],
    private readonly schemas: ResponseSchemas,
    private readonly state: FuzzState,
    private readonly items: fc.Arbitrary<FuzzItem>,
    private readonly log: (line: string) => void,
  ) {
    this.monitor = new HealthMonitor(client);
  }

  async run(): Promise<void> {
    this.stats.start();
    this.monitor.start();
    // The fuzzer's own stalls (making a 1 MB body) delay its sockets' timers: measured too.
    const delay = monitorEventLoopDelay({ resolution: 20 });
    delay.enable();
    await Promise.all(Array.from({ length: this.options.concurrency }, () => this.worker()));
    delay.disable();
    await this.monitor.stop();
    this.stats.stop();
    this.stats.fuzzerStallMs = delay.max / 1e6;
    this.stats.serverStallMs = this.monitor.maxMs;
    this.stats.backgroundProbes = this.monitor.count;
    const slowest = this.monitor.slowest;
    if (slowest && slowest.took > this.options.healthTimeoutMs) {
      const detail = `the server answered no /health for ${slowest.took.toFixed(0)} ms (background probe)`;
      const window: [number, number] = [slowest.at, slowest.at + slowest.took];
      this.record({ oracle: 'responsive', detail }, [], HEALTH_PROBE, HEALTH_SENT, undefined, [], window);
    }
  }

  /** Marks violations whose cause is a known issue outside the API layer (see known-issues.ts). */
  classify(): void {
    for (const violation of this.violations) {
      const [from, to] = violation.window ?? [0, 0];
      const stallMs = violation.oracle === 'responsive' ? to - from : this.monitor.stallDuring(from, to);
      const known = knownIssueOf(violation, { stallMs });
      if (known) violation.known = known.id;
    }
  }

  private async worker(): Promise<void> {
    while (this.planned < this.options.requests && this.target.alive()) {
      const index = this.nextIndex++;
      const item = fc.sample(this.items, {
        seed: itemSeed(this.options.seed, index),
        numRuns: 1,
      })[0] as FuzzItem;
      this.planned += requestCount(item);
      try {
        await this.execute(item, index);
      } catch (error) {
        // A bug of the fuzzer itself: say so, and go on with the next item.
        this.stats.fuzzerErrors.push(`item ${index}: ${(error as Error).stack ?? error}`);
      }
    }
  }

  private async execute(item: FuzzItem, index: number): Promise<void> {
    if (item.kind === 'single') {
      const { violation } = await this.send(item.request, {}, index, []);
      if (violation) this.singles.set(violation, index);
      return;
    }
    const scope: Scope = {};
    const sequence: SentRequest[] = [];
    const steps = item.kind === 'chain' ? item.steps : item.prepare;
    for (const [step, request] of steps.entries()) {
      const result = await this.send(request, scope, index + step, sequence);
      sequence.push(result.sent);
      if (result.runId && !scope.chainRun) scope.chainRun = result.runId;
    }
    if (item.kind !== 'burst') return;
    const answers = await Promise.all(
      item.requests.map((request, i) => this.send(request, scope, index + i, sequence)),
    );
    this.checkBurst(item, answers, sequence);
  }

  /** Sends one request, judges the answer, counts it and records a violation. */
  private async send(
    request: FuzzRequest,
    scope: Scope,
    pick: number,
    sequence: readonly SentRequest[],
  ): Promise<Sent> {
    const auth = this.state.authOf(request.auth, pick);
    const headers: Record<string, string> = { ...auth.headers, ...request.headers };
    if (request.body?.contentType !== undefined) headers['content-type'] = request.body.contentType;
    const sent: SentRequest = {
      method: request.method,
      path: this.state.pathOf(request, scope),
      headers,
      ...(request.body && { body: request.body.text }),
      from: this.client.addressFor(auth.good, pick),
    };
    const findings: Finding[] = [];
    const began = performance.now();
    let answer: Answer | undefined;
    try {
      answer = await this.client.send(sent);
    } catch (error) {
      const code = (error as { code?: string }).code;
      // undici refuses some requests before sending them (a header it cannot write).
      if (code === 'UND_ERR_INVALID_ARG') this.stats.unsendable.push((error as Error).message);
      // A body over the 1 MB limit is refused (413, Connection: close) while it is still being
      // sent, so the client may fail writing before it reads the answer: HTTP allows that.
      else if ((sent.body?.length ?? 0) > LIMITS.maxDefinitionBytes) this.stats.refusedUploads++;
      else
        findings.push({
          oracle: 'answered',
          detail: `${(error as Error).message} after ${(performance.now() - began).toFixed(0)} ms`,
        });
    }
    let runId: string | undefined;
    if (answer) {
      const verdict = judge(this.operations, this.schemas, this.state, request, sent, answer);
      if (!this.quiet)
        this.stats.count(verdict.route, request.flavour, answer, verdict.code, verdict.undocumented);
      findings.push(...verdict.findings);
      runId = learn(this.state, request, answer);
    }
    const [first, ...more] = findings;
    const window: [number, number] = [began, performance.now()];
    const violation =
      first && !this.quiet ? this.record(first, more, request, sent, answer, sequence, window) : undefined;
    if (!this.quiet) await this.maybeProbeHealth();
    return {
      sent,
      findings,
      ...(answer && { answer }),
      ...(violation && { violation }),
      ...(runId && { runId }),
    };
  }

  private record(
    finding: Finding,
    more: readonly Finding[],
    request: FuzzRequest,
    sent: SentRequest,
    answer: Answer | undefined,
    sequence: readonly SentRequest[],
    window?: [number, number],
  ): Violation {
    const violation: Violation = {
      oracle: finding.oracle,
      detail: [finding.detail, ...more.map((f) => `${f.oracle}: ${f.detail}`)].join('; '),
      operation: request.operation,
      flavour: request.flavour,
      request: sent,
      ...(answer && { response: { status: answer.status, text: answer.text.slice(0, 4_000) } }),
      ...(sequence.length > 0 && { sequence: [...sequence] }),
      ...(window && { window }),
    };
    this.violations.push(violation);
    this.log(
      `VIOLATION ${finding.oracle}: ${finding.detail.slice(0, 200)} (${sent.method} ${sent.path.slice(0, 120)})`,
    );
    return violation;
  }

  private checkBurst(
    item: Extract<FuzzItem, { kind: 'burst' }>,
    answers: readonly Sent[],
    before: readonly SentRequest[],
  ) {
    const [first] = answers;
    if (!first) return;
    const sequence = [...before, ...answers.map((a) => a.sent)];
    for (const detail of burstProblems(
      item,
      answers.map((a) => a.answer),
    )) {
      this.record(
        { oracle: 'concurrency', detail },
        [],
        item.requests[0] as FuzzRequest,
        first.sent,
        first.answer,
        sequence,
      );
    }
  }

  private async maybeProbeHealth(): Promise<void> {
    if (++this.sinceHealth < this.options.healthEvery) return;
    this.sinceHealth = 0;
    if (await this.healthy()) return;
    const detail = `/health did not answer 200 within ${this.options.healthTimeoutMs} ms`;
    this.record({ oracle: 'responsive', detail }, [], HEALTH_PROBE, HEALTH_SENT, undefined, []);
  }

  /** One /health probe within the bound. */
  async healthy(): Promise<boolean> {
    const answer = await probeHealth(this.client, this.options.healthTimeoutMs);
    this.stats.health(answer?.ms);
    return answer?.status === 200;
  }

  /** Sends requests after the fuzzing (reads of every run it started, cross-tenant reads), judged alike. */
  async sendAll(requests: readonly FuzzRequest[]): Promise<void> {
    for (const [pick, request] of requests.entries()) await this.send(request, {}, pick, []);
  }

  /**
   * Shrinks single-request violations with fast-check: the same arbitrary and seed as the item,
   * so the first value is the failing request, then smaller ones while the same oracle fails.
   */
  async shrinkViolations(limit: number): Promise<void> {
    const seen = new Set<string>();
    for (const [violation, index] of this.singles) {
      const key = `${violation.oracle} ${violation.operation}`;
      if (violation.known || seen.has(key) || seen.size >= limit) continue;
      seen.add(key);
      let smallest: Violation['shrunk'];
      this.quiet = true;
      await fc.check(
        fc.asyncProperty(this.items, async (item) => {
          if (item.kind !== 'single') return true;
          const result = await this.send(item.request, {}, index, []);
          const again = result.findings.some((finding) => finding.oracle === violation.oracle);
          if (again && result.answer) {
            const { status, text } = result.answer;
            smallest = { request: result.sent, response: { status, text: text.slice(0, 4_000) } };
          }
          return !again;
        }),
        { seed: itemSeed(this.options.seed, index), numRuns: 1, interruptAfterTimeLimit: 30_000 },
      );
      this.quiet = false;
      if (smallest) violation.shrunk = smallest;
    }
  }
}

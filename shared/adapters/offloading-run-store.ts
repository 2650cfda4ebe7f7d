/**
 * A RunStore that keeps large values out of the run store: a node's `output` and `completion`, a
 * run's `outputs` and its inputs whose JSON text is over `thresholdBytes` go to a PayloadStore
 * (S3 on AWS, fauxqs's S3 locally, memory in tests), and the item holds a reference
 * (`payload-refs.ts`: key, bytes, sha256). Reads resolve references, so the engine, expressions
 * and the API see the values as before. It wraps any RunStore (DynamoDB, memory); the engine is
 * unchanged.
 *
 * - **Order.** The object is written before the conditional write that references it, so a crash
 *   or a refused condition leaves at most an orphan object, which the bucket's lifecycle rule
 *   removes with the run's retention; a reference never points to nothing it wrote.
 * - **Keys** are `<tenant>/<runId>/<part>/<sha256>.json`, `part` being `inputs`, `outputs`,
 *   `nodes/<node id>/output`, `nodes/<node id>/completion` or `nodes/<node id>/logs/<attempt>`
 *   (what a script printed, whose JSON text is over the threshold): content-addressed, so two racing
 *   writers of one value write one object, and an object never changes once written.
 * - **Reads.** A write returns what it wrote without reading the object back; a read fetches only
 *   the references it returns (listings of runs never carry outputs, so they fetch nothing).
 */

import { DEFAULT_PAYLOAD_THRESHOLD_BYTES } from '../config-payloads.ts';
import type { AttemptLogs } from '../ports/attempt-logs.ts';
import type { Page, PageRequest } from '../ports/page.ts';
import type { PayloadStore } from '../ports/payload-store.ts';
import type {
  ErrorInfo,
  ItemListOptions,
  ItemSeed,
  NodeChange,
  NodeCondition,
  NodeListOptions,
  NodeRecord,
  Outcome,
  RunChange,
  RunCondition,
  RunQuery,
  RunRecord,
  RunStatus,
  RunStore,
  SweepPosition,
} from '../ports/run-store.ts';
import { decodeInline, decodeValue, type Encoded, encodeValue } from './payload-refs.ts';

/** Payload reads in flight at once when a read returns many nodes. */
const READS_AT_ONCE = 16;
/** Runs whose tenant is remembered (object keys carry it). */
const TENANT_CACHE_SIZE = 10_000;

export interface OffloadingRunStoreOptions {
  readonly runs: RunStore;
  readonly payloads: PayloadStore;
  /** Values whose JSON text is longer than this many bytes are offloaded. @default 65536 */
  readonly thresholdBytes?: number;
}

type NodeResult = { applied: true; node: NodeRecord } | { applied: false; node?: NodeRecord };

/**
 * @example
 * const runs = new OffloadingRunStore({
 *   runs: new DynamoDbRunStore({ client: doc, tableName }),
 *   payloads: new S3PayloadStore({ client: s3, bucket }),
 * });
 */
export class OffloadingRunStore implements RunStore {
  private readonly inner: RunStore;
  private readonly payloads: PayloadStore;
  private readonly threshold: number;
  private readonly tenants = new Map<string, string>();

  constructor(options: OffloadingRunStoreOptions) {
    this.inner = options.runs;
    this.payloads = options.payloads;
    this.threshold = options.thresholdBytes ?? DEFAULT_PAYLOAD_THRESHOLD_BYTES;
    if (!Number.isInteger(this.threshold) || this.threshold < 0) {
      throw new RangeError(`thresholdBytes must be a whole number of bytes, got ${this.threshold}`);
    }
  }

  async createRun(run: RunRecord, inputs: unknown): Promise<{ run: RunRecord; created: boolean }> {
    this.remember(run);
    const [input, outputs] = [
      this.encode(run.runId, 'inputs', inputs),
      this.encode(run.runId, 'outputs', run.outputs),
    ];
    await this.write([input, outputs], run.expiresAt);
    const record = run.outputs === undefined ? run : { ...run, outputs: outputs.stored };
    const result = await this.inner.createRun(record, input.stored);
    return { run: result.created ? run : await this.resolveRun(result.run), created: result.created };
  }

  async getRun(runId: string): Promise<RunRecord | undefined> {
    const run = await this.inner.getRun(runId);
    return run && this.resolveRun(run);
  }

  async getInputs(runId: string): Promise<unknown> {
    return decodeValue(await this.inner.getInputs(runId), runId, this.payloads);
  }

  async updateRun(
    runId: string,
    ifStatus: readonly RunStatus[],
    change: RunChange & { readonly updatedAt: string },
    when?: RunCondition,
  ): Promise<RunRecord | undefined> {
    // `remove` wins over a value set in the same change (the port's rule): nothing to offload then.
    if (change.outputs === undefined || change.remove?.includes('outputs')) {
      const run = await this.inner.updateRun(runId, ifStatus, change, when);
      return run && this.resolveRun(run);
    }
    await this.learnTenant(runId);
    const outputs = this.encode(runId, 'outputs', change.outputs);
    await this.write([outputs], change.expiresAt);
    const run = await this.inner.updateRun(runId, ifStatus, { ...change, outputs: outputs.stored }, when);
    return run && { ...this.remember(run), outputs: change.outputs };
  }

  recordFailure(runId: string, error: ErrorInfo, updatedAt: string): Promise<void> {
    return this.inner.recordFailure(runId, error, updatedAt);
  }

  markProgress(runId: string, at: string, ifBefore: string): Promise<void> {
    return this.inner.markProgress(runId, at, ifBefore);
  }

  async listRuns(tenant: string, query?: RunQuery): Promise<Page<RunRecord>> {
    const page = await this.inner.listRuns(tenant, query);
    return { ...page, items: page.items.map((run) => this.listed(run)) };
  }

  async listActiveRuns(page?: PageRequest): Promise<Page<RunRecord>> {
    const found = await this.inner.listActiveRuns(page);
    return { ...found, items: found.items.map((run) => this.listed(run)) };
  }

  takeSweepLease(holder: string, nowMs: number, untilMs: number): Promise<SweepPosition | undefined> {
    return this.inner.takeSweepLease(holder, nowMs, untilMs);
  }

  saveSweepLease(holder: string, position: SweepPosition, release: boolean): Promise<boolean> {
    return this.inner.saveSweepLease(holder, position, release);
  }

  async getNode(runId: string, nodeId: string): Promise<NodeRecord | undefined> {
    const node = await this.inner.getNode(runId, nodeId);
    return node && this.resolveNode(node);
  }

  async getNodes(runId: string, nodeIds: readonly string[]): Promise<NodeRecord[]> {
    return this.resolveNodes(await this.inner.getNodes(runId, nodeIds));
  }

  async listNodes(runId: string, options?: NodeListOptions): Promise<NodeRecord[]> {
    return this.resolveNodes(await this.inner.listNodes(runId, options));
  }

  async listItems(runId: string, mapId: string, options?: ItemListOptions): Promise<NodeRecord[]> {
    return this.resolveNodes(await this.inner.listItems(runId, mapId, options));
  }

  /** A map item's seed (`$item`) stays in its item: one value of a list that was at most 256 KB. */
  seedItem(runId: string, itemId: string, seed: ItemSeed, expiresAt: number): Promise<boolean> {
    return this.inner.seedItem(runId, itemId, seed, expiresAt);
  }

  async arrive(
    runId: string,
    nodeId: string,
    parentId: string,
    outcome: Outcome,
    expiresAt: number,
    epoch?: number,
  ): Promise<{ applied: boolean; node: NodeRecord }> {
    const result = await this.inner.arrive(runId, nodeId, parentId, outcome, expiresAt, epoch);
    return { applied: result.applied, node: await this.resolveNode(result.node) };
  }

  async updateNode(
    runId: string,
    nodeId: string,
    when: NodeCondition,
    change: NodeChange,
    expiresAt: number,
  ): Promise<NodeRecord | undefined> {
    const result = await this.writeNode(runId, nodeId, change, expiresAt, (stored) =>
      this.inner
        .updateNode(runId, nodeId, when, stored, expiresAt)
        .then((node): NodeResult => (node ? { applied: true, node } : { applied: false })),
    );
    return result.applied ? result.node : undefined;
  }

  tryUpdateNode(
    runId: string,
    nodeId: string,
    when: NodeCondition,
    change: NodeChange,
    expiresAt: number,
  ): Promise<NodeResult> {
    return this.writeNode(runId, nodeId, change, expiresAt, (stored) =>
      this.inner.tryUpdateNode(runId, nodeId, when, stored, expiresAt),
    );
  }

  resetNode(
    runId: string,
    nodeId: string,
    arrivals: Pick<NodeRecord, 'arrived' | 'failedParents' | 'skippedParents'>,
    expiresAt: number,
    epoch: number,
  ): Promise<boolean> {
    return this.inner.resetNode(runId, nodeId, arrivals, expiresAt, epoch);
  }

  addDone(
    runId: string,
    setKey: string,
    member: number,
    expiresAt: number,
  ): Promise<{ applied: boolean; size: number }> {
    return this.inner.addDone(runId, setKey, member, expiresAt);
  }

  addDoneAll(runId: string, setKey: string, members: readonly number[], expiresAt: number): Promise<number> {
    return this.inner.addDoneAll(runId, setKey, members, expiresAt);
  }

  acquireSlot(tenant: string, workflow: string, runId: string, max: number): Promise<boolean> {
    return this.inner.acquireSlot(tenant, workflow, runId, max);
  }

  releaseSlot(tenant: string, workflow: string, runId: string): Promise<void> {
    return this.inner.releaseSlot(tenant, workflow, runId);
  }

  slotHolders(tenant: string, workflow: string): Promise<string[]> {
    return this.inner.slotHolders(tenant, workflow);
  }

  addWaiting(tenant: string, workflow: string, runId: string, expiresAt: number): Promise<void> {
    return this.inner.addWaiting(tenant, workflow, runId, expiresAt);
  }

  removeWaiting(tenant: string, workflow: string, runId: string): Promise<void> {
    return this.inner.removeWaiting(tenant, workflow, runId);
  }

  listWaiting(tenant: string, workflow: string, limit: number): Promise<string[]> {
    return this.inner.listWaiting(tenant, workflow, limit);
  }

  /** Logs whose JSON text is over the threshold go to the payload store, the log item a reference. */
  async putLogs(runId: string, nodeId: string, attempt: number, logs: AttemptLogs, expiresAt: number) {
    await this.learnTenant(runId);
    const encoded = this.encode(runId, `nodes/${encodeURIComponent(nodeId)}/logs/${attempt}`, logs);
    await this.write([encoded], expiresAt);
    // A reference object stands in for the lines (`payload-refs.ts`); the inner store keeps it as JSON.
    await this.inner.putLogs(runId, nodeId, attempt, encoded.stored as AttemptLogs, expiresAt);
  }

  async getLogs(runId: string, nodeId: string, attempt: number): Promise<AttemptLogs | undefined> {
    const stored = await this.inner.getLogs(runId, nodeId, attempt);
    return stored && ((await decodeValue(stored, runId, this.payloads)) as AttemptLogs);
  }

  /**
   * A node write: large `output`/`completion` objects first, then `write` with references; the
   * applied item carries the values written (no read back), a refusing item is resolved.
   */
  private async writeNode(
    runId: string,
    nodeId: string,
    change: NodeChange,
    expiresAt: number,
    write: (stored: NodeChange) => Promise<NodeResult>,
  ): Promise<NodeResult> {
    const set = change.set ?? {};
    // A field both set and removed ends up absent (the port's rule): nothing to offload then.
    const sets = (field: 'output' | 'completion') =>
      set[field] !== undefined && !change.remove?.includes(field);
    if (!sets('output') && !sets('completion')) return this.resolveResult(await write(change));
    await this.learnTenant(runId);
    const part = `nodes/${encodeURIComponent(nodeId)}`;
    const output = this.encode(runId, `${part}/output`, sets('output') ? set.output : undefined);
    const completion = this.encode(
      runId,
      `${part}/completion`,
      sets('completion') ? set.completion : undefined,
    );
    await this.write([output, completion], set.expiresAt ?? expiresAt);
    const storedSet = {
      ...set,
      ...(sets('output') && { output: output.stored }),
      ...(sets('completion') && { completion: completion.stored as NodeRecord['completion'] }),
    };
    const result = await write({ ...change, set: storedSet });
    if (!result.applied) return this.resolveResult(result);
    // The values just written are known: only a field this write did not set is read back.
    const written = await this.resolveNode({
      ...result.node,
      ...(sets('output') && { output: undefined }),
      ...(sets('completion') && { completion: undefined }),
    });
    return {
      applied: true,
      node: {
        ...written,
        ...(sets('output') && { output: set.output }),
        ...(sets('completion') && { completion: set.completion }),
      },
    };
  }

  private async resolveResult(result: NodeResult): Promise<NodeResult> {
    if (result.applied) return { applied: true, node: await this.resolveNode(result.node) };
    return result.node ? { applied: false, node: await this.resolveNode(result.node) } : result;
  }

  private encode(runId: string, part: string, value: unknown): Encoded {
    const tenant = this.tenants.get(runId) ?? '_';
    return encodeValue(value, this.threshold, (sha256) => `${tenant}/${runId}/${part}/${sha256}.json`);
  }

  /**
   * Writes the payload objects of `encoded` (those over the threshold), in parallel, to live as
   * long as the item that references them (`expiresAt`; unknown: as long as any run item).
   */
  private async write(encoded: readonly Encoded[], expiresAt: number | undefined): Promise<void> {
    await Promise.all(
      encoded.map(({ object }) => object && this.payloads.put(object.key, object.body, expiresAt)),
    );
  }

  private async resolveRun(run: RunRecord): Promise<RunRecord> {
    this.remember(run);
    if (run.outputs === undefined) return run;
    return { ...run, outputs: await decodeValue(run.outputs, run.runId, this.payloads) };
  }

  /** A listed run: listings carry no outputs; a reference that slipped in is dropped, not fetched. */
  private listed(run: RunRecord): RunRecord {
    this.remember(run);
    if (run.outputs === undefined) return run;
    const { outputs: _outputs, ...rest } = run;
    const { value, unresolved } = decodeInline(run.outputs);
    return unresolved ? rest : { ...rest, outputs: value };
  }

  private async resolveNode(node: NodeRecord): Promise<NodeRecord> {
    if (node.output === undefined && node.completion === undefined) return node;
    const [output, completion] = await Promise.all([
      decodeValue(node.output, node.runId, this.payloads),
      decodeValue(node.completion, node.runId, this.payloads),
    ]);
    return {
      ...node,
      ...(output !== undefined && { output }),
      ...(completion !== undefined && { completion: completion as NodeRecord['completion'] }),
    };
  }

  private async resolveNodes(nodes: readonly NodeRecord[]): Promise<NodeRecord[]> {
    const resolved: NodeRecord[] = [];
    for (let start = 0; start < nodes.length; start += READS_AT_ONCE) {
      const batch = nodes.slice(start, start + READS_AT_ONCE);
      resolved.push(...(await Promise.all(batch.map((node) => this.resolveNode(node)))));
    }
    return resolved;
  }

  private remember(run: RunRecord): RunRecord {
    if (!this.tenants.has(run.runId)) {
      if (this.tenants.size >= TENANT_CACHE_SIZE) this.tenants.clear();
      this.tenants.set(run.runId, run.tenant);
    }
    return run;
  }

  /** Object keys carry the tenant: read the run once when this process has not seen it. */
  private async learnTenant(runId: string): Promise<void> {
    if (this.tenants.has(runId)) return;
    const run = await this.inner.getRun(runId);
    if (run) this.remember(run);
  }
}

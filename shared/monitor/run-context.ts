import type { SkeinEvent } from '../ports/notifier.ts';
import type { ItemChange } from './events.ts';

/** What node events borrow from their run item. */
export interface RunContext {
  readonly tenant: string;
  readonly workflow: string;
  readonly version: string;
}

/** Reads a run's context (the run item), or undefined when the run is gone. */
export type RunContextLookup = (runId: string) => Promise<RunContext | undefined>;

/**
 * The context held by a change of a run item, if it is one.
 * @example runContextOf({ kind: 'run', eventName: 'INSERT', at, newImage: { runId: 'r1', tenant: 'acme', workflow: 'orders', version: '1.0.0' } })
 */
export function runContextOf(change: ItemChange | undefined): (RunContext & { runId: string }) | undefined {
  const image = change?.newImage ?? change?.oldImage;
  if (change?.kind !== 'run' || image === undefined) return undefined;
  const { runId, tenant, workflow, version } = image;
  if (typeof runId !== 'string' || typeof tenant !== 'string' || typeof workflow !== 'string')
    return undefined;
  return { runId, tenant, workflow, version: typeof version === 'string' ? version : '' };
}

/**
 * Fills in tenant, workflow and version of node events. Run items seen in the stream are
 * remembered (they never change those fields); other runs are read through `lookup` once and
 * cached, so a run costs one read per monitor instance, not one per node. A run that no longer
 * exists leaves its events without them.
 * @example
 * const contexts = new RunContexts(lookup);
 * contexts.remember(runContextOf(newImage));
 * const events = await contexts.fill(nodeEvents);
 */
export class RunContexts {
  private readonly known = new Map<string, Promise<RunContext | undefined>>();

  constructor(
    private readonly lookup?: RunContextLookup,
    private readonly maxEntries = 5_000,
  ) {}

  remember(context: (RunContext & { runId: string }) | undefined): void {
    if (context === undefined) return;
    const { runId, tenant, workflow, version } = context;
    this.set(runId, Promise.resolve({ tenant, workflow, version }));
  }

  /** The events with their run's context; rejects when a lookup fails (the caller retries). */
  async fill(events: readonly SkeinEvent[]): Promise<SkeinEvent[]> {
    return Promise.all(
      events.map(async (event) => {
        if (event.tenant !== undefined) return event;
        const context = await this.contextOf(event.runId);
        if (context === undefined) return event;
        const { tenant, workflow, version } = context;
        return { ...event, tenant, workflow, ...(version && { version }) };
      }),
    );
  }

  private contextOf(runId: string): Promise<RunContext | undefined> {
    const known = this.known.get(runId);
    if (known !== undefined) return known;
    const loading = this.lookup ? this.lookup(runId) : Promise.resolve(undefined);
    // A failed lookup is forgotten, so the retried batch reads again.
    loading.catch(() => this.known.delete(runId));
    this.set(runId, loading);
    return loading;
  }

  private set(runId: string, context: Promise<RunContext | undefined>): void {
    if (this.known.size >= this.maxEntries && !this.known.has(runId)) this.known.clear();
    this.known.set(runId, context);
  }
}

import type { Page, PageRequest } from './page.ts';

/** What a cron trigger does when a firing comes while its previous run is still active. */
export type OverlapPolicy = 'skip' | 'buffer_one' | 'buffer_all' | 'cancel_other' | 'allow_all';

/** A cron trigger's schedule and policies, as validated by `domain/trigger-spec.ts`. */
export interface CronSpec {
  /** Five fields (minute first) or six (seconds first), croner syntax. */
  readonly expression: string;
  /** IANA time zone the expression is read in. @default UTC */
  readonly timezone?: string;
  readonly overlap: OverlapPolicy;
  /** Firings missed by at most this long (a restart, an outage) still run. @default 0: none */
  readonly catchupWindowMs: number;
  /** Each firing waits up to this long (a stable delay per firing). @default 0 */
  readonly jitterMs: number;
  readonly startAt?: string;
  readonly endAt?: string;
}

/** A webhook trigger's verification material (the secret is stored as is: see the README). */
export interface WebhookSpec {
  /** The public id in `POST /v1/hooks/{hookId}`. */
  readonly hookId: string;
  /** `whsec_<base64>`: the Standard Webhooks secret (GitHub signatures use the same string). */
  readonly secret: string;
  /** Also accept GitHub's `X-Hub-Signature-256` (HMAC-SHA256 of the body with the secret). */
  readonly github: boolean;
}

/**
 * An event trigger's pattern (EventBridge syntax, checked by `domain/event-pattern.ts`), matched
 * against every event on Skein's bus. Events a workflow of some tenant put (source
 * `skein.tenant.<tenant>...`) only match that tenant's triggers; other sources match any tenant's.
 */
export interface EventSpec {
  readonly pattern: Readonly<Record<string, unknown>>;
}

export type TriggerType = 'cron' | 'webhook' | 'event';

export interface TriggerRecord {
  readonly tenant: string;
  readonly triggerId: string;
  readonly type: TriggerType;
  readonly workflow: string;
  /** Version or range; the latest when absent. */
  readonly version?: string;
  /** JSONata template over the firing's payload (`$inputs`). */
  readonly inputs?: unknown;
  readonly enabled: boolean;
  readonly cron?: CronSpec;
  readonly webhook?: WebhookSpec;
  readonly event?: EventSpec;
  /**
   * Set on triggers a definition's `triggers:` keeps: the workflow, the version that last put it,
   * and a digest of its entry there (an unchanged entry is not put again).
   */
  readonly definedBy?: { readonly workflow: string; readonly version: string; readonly digest: string };
  readonly createdAt: string;
  readonly updatedAt: string;
  /** Cron: the last scheduled time handled (fired, skipped or buffered); catch-up starts after it. */
  readonly lastScheduledAt?: string;
  /** The run the last firing started: overlap policies read its status. */
  readonly lastRunId?: string;
  /** Scheduled times waiting for the active run to end (`buffer_one`, `buffer_all`), oldest first. */
  readonly buffered?: readonly string[];
}

/** The fields `update` may change. */
export type TriggerChange = Partial<
  Pick<TriggerRecord, 'enabled' | 'lastScheduledAt' | 'lastRunId' | 'buffered' | 'updatedAt'>
>;

export type FiringOutcome = 'started' | 'duplicate' | 'skipped' | 'buffered' | 'failed';

/** One firing of a trigger, as the firing log keeps it. */
export interface FiringRecord {
  /** The idempotency key of the run it started (or would have). */
  readonly key: string;
  /** Cron: the scheduled time; webhook: when the delivery came. Orders the log. */
  readonly at: string;
  readonly firedAt: string;
  readonly outcome: FiringOutcome;
  readonly runId?: string;
  readonly scheduledAt?: string;
  readonly deliveryId?: string;
  /** Event triggers: the bus event's id. */
  readonly eventId?: string;
  readonly error?: { readonly code: string; readonly message: string };
}

/** Firings kept per trigger: older ones are dropped. */
export const FIRING_LOG_SIZE = 20;

/**
 * Triggers per tenant, a lookup from a webhook's public id, and a bounded log of firings.
 * DynamoDB: the control table (`T#<tenant>` / `TRG#<id>`, `HOOK#<hookId>` / `HOOK`, `EVTRG` / `E#<tenant>#<id>`,
 * `T#<tenant>#TRG#<id>` / `F#<at>#<key>`).
 */
export interface TriggerStore {
  /** Creates or replaces a trigger (and its hook pointer); the firing log stays. */
  put(record: TriggerRecord): Promise<void>;
  get(tenant: string, triggerId: string): Promise<TriggerRecord | undefined>;
  /** The webhook trigger whose public id is `hookId`. */
  getByHook(hookId: string): Promise<TriggerRecord | undefined>;
  /** A tenant's triggers by id. A cursor of another listing is a 400 `INVALID_CURSOR`. */
  list(tenant: string, page?: PageRequest): Promise<Page<TriggerRecord>>;
  /** Every enabled cron trigger of every tenant: the local scheduler's start (a scan). */
  listCron(): Promise<TriggerRecord[]>;
  /** Every enabled event trigger of every tenant (DynamoDB: one partition of pointers, not a scan). */
  listEvent(): Promise<TriggerRecord[]>;
  /** Changes fields of an existing trigger; false when there is none. */
  update(tenant: string, triggerId: string, change: TriggerChange): Promise<boolean>;
  /** Deletes the trigger, its hook pointer and its firing log; false when there was none. */
  delete(tenant: string, triggerId: string): Promise<boolean>;
  /** Adds a firing (the same `at` and `key` replace it), then drops all but the newest {@link FIRING_LOG_SIZE}. */
  recordFiring(tenant: string, triggerId: string, firing: FiringRecord): Promise<void>;
  /** The newest firings first. */
  firings(tenant: string, triggerId: string, limit?: number): Promise<FiringRecord[]>;
}

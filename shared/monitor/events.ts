/**
 * Run and node events from the runs table's stream (NEW_AND_OLD_IMAGES), as pure functions of
 * one change: the unmarshalled old and new images of one run or node item (the DynamoDB adapter,
 * `dynamodb-run-stream.ts`, tells which; no table key is read here). Only status transitions make
 * events; removals (TTL expiry) make none.
 *
 * | item | old → new status                                     | event                     |
 * | ---- | ---------------------------------------------------- | ------------------------- |
 * | run  | (inserted)                                           | `run.started`             |
 * | run  | active → PAUSED, PAUSED → RUNNING                    | `run.paused`, `run.resumed` |
 * | run  | not ended → SUCCEEDED, FAILED, CANCELLED, TIMED_OUT  | `run.<status>`            |
 * | node | any but WAITING → RUNNING, or a new attempt          | `node.started`            |
 * | node | → SUCCEEDED, FAILED, SKIPPED                         | `node.<status>`           |
 * | node | → RETRY_WAIT                                         | `node.retrying`           |
 * | node | → WAITING holding a completion token (a callback)    | `node.waiting` (`token`)  |
 *
 * Not events: a `retry` control reopening an ended run (the next end is one again), a wait or
 * callback resuming (WAITING → RUNNING, same attempt), and READY, PARKED, CANCELLED nodes and a
 * `wait`'s WAITING (no token: nobody has to act on it). A node is claimed (RUNNING) before its trigger rule is applied, so a skipped node shows
 * `node.started` before `node.skipped`. Node items hold no tenant, workflow or version: node
 * events leave them out, and the monitor fills them in from the run item (`run-context.ts`).
 */
import type { Severity, SkeinEvent, SkeinEventType } from '../ports/notifier.ts';
import { type ErrorInfo, TERMINAL_RUN_STATUSES } from '../ports/run-store.ts';

export type Image = Readonly<Record<string, unknown>>;

/** One stream record, its images unmarshalled. */
export interface ItemChange {
  /** A run item or a node item (other items make no changes). */
  readonly kind: 'run' | 'node';
  readonly eventName: 'INSERT' | 'MODIFY' | 'REMOVE';
  readonly oldImage?: Image;
  readonly newImage?: Image;
  /** ISO time of the change (the record's approximate creation time): for events without a time field. */
  readonly at: string;
}

/** Longest error message carried by an event, so ten events always fit one SNS batch. */
export const MAX_ERROR_MESSAGE = 1_000;

/**
 * Which node events the monitor publishes (`SKEIN_NODE_EVENTS`, CDK context `nodeEvents`): run
 * events are always published. `failures` (the default) publishes `node.failed` and
 * `node.retrying`, and `node.waiting` for a callback (someone must act on it); `all` adds `node.started`, `node.succeeded` and `node.skipped`; `none`
 * publishes no node event. Each published event costs an SNS publish share and, with `all`, a
 * monitor invocation per stream batch of every node's writes: `bench/all-in.bench.ts` counts both.
 */
export const NODE_EVENT_LEVELS = ['none', 'failures', 'all'] as const;
export type NodeEventLevel = (typeof NODE_EVENT_LEVELS)[number];
export const DEFAULT_NODE_EVENTS: NodeEventLevel = 'failures';

/** The node statuses whose transitions make a level's events (for the stream's filter criteria). */
const NODE_STATUSES_OF: Readonly<Record<NodeEventLevel, readonly string[]>> = {
  none: [],
  failures: ['FAILED', 'RETRY_WAIT'],
  all: ['RUNNING', 'SUCCEEDED', 'FAILED', 'SKIPPED', 'RETRY_WAIT'],
};

/**
 * The statuses a node item must change to for one of the level's events (the stream filter lets
 * only those through; `eventsOf` still decides whether a change is an event).
 * @example nodeEventStatuses('failures') // ['FAILED', 'RETRY_WAIT']
 */
export function nodeEventStatuses(level: NodeEventLevel): readonly string[] {
  return NODE_STATUSES_OF[level];
}

/**
 * Whether the monitor publishes an event at a node-event level (run events: always).
 * @example publishedAt('failures', 'node.succeeded') // false
 */
export function publishedAt(level: NodeEventLevel, type: SkeinEventType): boolean {
  if (!type.startsWith('node.')) return true;
  if (type === 'node.waiting') return waitingPublishedAt(level);
  const status = NODE_STATUS_OF_EVENT[type];
  return status !== undefined && NODE_STATUSES_OF[level].includes(status);
}

/**
 * Whether a callback's `node.waiting` is published at a level (`failures` and `all`): the stream
 * filter lets a node's change to WAITING through only when the new image holds a token.
 */
export function waitingPublishedAt(level: NodeEventLevel): boolean {
  return level !== 'none';
}

const NODE_STATUS_OF_EVENT: Partial<Record<SkeinEventType, string>> = {
  'node.started': 'RUNNING',
  'node.succeeded': 'SUCCEEDED',
  'node.failed': 'FAILED',
  'node.skipped': 'SKIPPED',
  'node.retrying': 'RETRY_WAIT',
};

/**
 * The run statuses a run item changes to (or, for `run.resumed`, from) in a run event, besides
 * its insertion: for the stream's filter criteria.
 */
export const RUN_EVENT_STATUSES: readonly string[] = ['PAUSED', ...TERMINAL_RUN_STATUSES];

/**
 * Reads a node-event level (`SKEIN_NODE_EVENTS`); empty or absent is the default.
 * @example nodeEventLevelOf('all') // 'all'
 */
export function nodeEventLevelOf(raw: string | undefined): NodeEventLevel {
  if (raw === undefined || raw === '') return DEFAULT_NODE_EVENTS;
  if ((NODE_EVENT_LEVELS as readonly string[]).includes(raw)) return raw as NodeEventLevel;
  throw new Error(`node events must be one of ${NODE_EVENT_LEVELS.join(', ')}, got "${raw}"`);
}

const TERMINAL_RUN: ReadonlySet<string> = new Set(TERMINAL_RUN_STATUSES);
const ACTIVE_RUN = new Set(['QUEUED', 'RUNNING']);
const ENDED_NODE = new Set(['SUCCEEDED', 'FAILED', 'SKIPPED']);

/**
 * The events of one change of the runs table (none for most changes).
 * @example
 * eventsOf({ kind: 'node', eventName: 'MODIFY', at, oldImage: { runId: 'r1', nodeId: 'a', status: 'RUNNING', attempt: 1 },
 *            newImage: { runId: 'r1', nodeId: 'a', status: 'SUCCEEDED', attempt: 1, endedAt } })
 * // [{ type: 'node.succeeded', severity: 'info', runId: 'r1', nodeId: 'a', attempt: 1, time: endedAt }]
 */
export function eventsOf(change: ItemChange): SkeinEvent[] {
  const item = change.newImage;
  if (change.eventName === 'REMOVE' || item === undefined) return [];
  return change.kind === 'run'
    ? runEvents(change.oldImage, item, change.at)
    : nodeEvents(change.oldImage, item, change.at);
}

/**
 * The severity of an event type: failures and time-outs `error`, retries `warning`, others `info`.
 * @example severityOf('node.retrying') // 'warning'
 */
export function severityOf(type: SkeinEventType): Severity {
  if (type === 'run.failed' || type === 'node.failed' || type === 'run.timed_out') return 'error';
  if (type === 'node.retrying') return 'warning';
  return 'info';
}

function runEvents(old: Image | undefined, item: Image, at: string): SkeinEvent[] {
  const from = str(old?.status);
  const to = str(item.status);
  if (to === undefined || from === to) return [];
  const runId = str(item.runId);
  if (runId === undefined) return [];
  // A run a trigger started names it, so subscriptions can filter on the trigger.
  const trigger = str((item.trigger as { triggerId?: unknown } | undefined)?.triggerId);
  const base = {
    tenant: str(item.tenant),
    workflow: str(item.workflow),
    version: str(item.version),
    runId,
    ...(trigger === undefined ? {} : { trigger }),
  };
  let type: SkeinEventType | undefined;
  let time = str(item.updatedAt) ?? at;
  if (from === undefined && (to === 'RUNNING' || to === 'QUEUED')) {
    type = 'run.started';
    time = str(item.createdAt) ?? time;
  } else if (to === 'PAUSED' && from !== undefined && ACTIVE_RUN.has(from)) type = 'run.paused';
  else if (from === 'PAUSED' && ACTIVE_RUN.has(to)) type = 'run.resumed';
  else if (TERMINAL_RUN.has(to)) {
    type = `run.${to.toLowerCase()}` as SkeinEventType;
    time = str(item.endedAt) ?? time;
  }
  if (type === undefined) return [];
  const ended = TERMINAL_RUN.has(to);
  return [
    compact({
      ...base,
      type,
      severity: severityOf(type),
      time,
      error: to === 'FAILED' || to === 'TIMED_OUT' ? errorOf(item.error) : undefined,
      durationMs: ended ? span(item.createdAt, item.endedAt) : undefined,
    }),
  ];
}

function nodeEvents(old: Image | undefined, item: Image, at: string): SkeinEvent[] {
  const from = str(old?.status);
  const to = str(item.status);
  const runId = str(item.runId);
  const nodeId = str(item.nodeId);
  if (to === undefined || runId === undefined || nodeId === undefined) return [];
  const attempt = num(item.attempt);
  const newAttempt = attempt !== undefined && attempt > (num(old?.attempt) ?? 0);
  let type: SkeinEventType | undefined;
  let time = at;
  if (to === 'RUNNING' && from !== 'WAITING' && (from !== 'RUNNING' || newAttempt)) {
    type = 'node.started';
    if (old?.startedAt === undefined) time = str(item.startedAt) ?? at;
  } else if (from !== to && ENDED_NODE.has(to)) {
    type = `node.${to.toLowerCase()}` as SkeinEventType;
    time = str(item.endedAt) ?? at;
  } else if (from !== to && to === 'RETRY_WAIT') type = 'node.retrying';
  else if (from !== to && to === 'WAITING' && str(item.completionToken) !== undefined) type = 'node.waiting';
  if (type === undefined) return [];
  return [
    compact({
      type,
      severity: severityOf(type),
      runId,
      nodeId,
      time,
      attempt,
      error: to === 'FAILED' || to === 'RETRY_WAIT' ? errorOf(item.error) : undefined,
      reason: to === 'SKIPPED' ? str(item.reason) : undefined,
      token: type === 'node.waiting' ? str(item.completionToken) : undefined,
      durationMs: to === 'SUCCEEDED' || to === 'FAILED' ? span(item.startedAt, item.endedAt) : undefined,
    }),
  ];
}

function errorOf(value: unknown): ErrorInfo | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { code, message, nodeId } = value as Record<string, unknown>;
  const text = str(message) ?? '';
  return compact({
    code: str(code) ?? 'UNKNOWN',
    message: text.length > MAX_ERROR_MESSAGE ? `${text.slice(0, MAX_ERROR_MESSAGE - 1)}…` : text,
    nodeId: str(nodeId),
  });
}

/** Milliseconds between two ISO times, or undefined unless both are valid and in order. */
function span(start: unknown, end: unknown): number | undefined {
  const from = Date.parse(str(start) ?? '');
  const to = Date.parse(str(end) ?? '');
  return Number.isNaN(from) || Number.isNaN(to) || to < from ? undefined : to - from;
}

const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const num = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) ? value : undefined;

/** The object without its undefined members (events are JSON; absent beats null). */
function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

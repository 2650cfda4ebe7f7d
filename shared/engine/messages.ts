import { z } from 'zod';
import type { Outcome } from '../ports/run-store.ts';

/**
 * Queue messages, kept small: one per node to run. `token` is unique per send; a node records the
 * token of the message that last changed it, so a redelivery of that very message (after a crash)
 * may redo the follow-up work, while any other duplicate is dropped.
 */
export interface NodeMessage {
  readonly runId: string;
  readonly nodeId: string;
  readonly token: string;
  /** A single parent's outcome, `JOIN` for a complete join, absent for roots and re-enqueues. */
  readonly via?: Outcome | 'JOIN';
  /** The run's retry epoch when sent (absent = 0): a message from before a retry is dropped. */
  readonly epoch?: number;
}

/** Continue a pending run control (a large cancel or retry) in the background. */
export interface ControlMessage {
  readonly runId: string;
  readonly action: 'retry' | 'cancel' | 'time_out';
  readonly epoch: number;
}

/** A message the timer relays until `at` (epoch ms), when `body` is handled. */
export interface RelayMessage {
  readonly at: number;
  readonly body: string;
}

const VIA = { S: 'SUCCEEDED', F: 'FAILED', K: 'SKIPPED', J: 'JOIN' } as const;
const VIA_CODE = { SUCCEEDED: 'S', FAILED: 'F', SKIPPED: 'K', JOIN: 'J' } as const;

const nodeMessageSchema = z.object({
  r: z.string().min(1),
  n: z.string().min(1),
  t: z.string().min(1),
  v: z.enum(['S', 'F', 'K', 'J']).optional(),
  e: z.number().int().min(1).optional(),
});
const relayMessageSchema = z.object({ at: z.number(), b: z.string() });
const controlMessageSchema = z.object({
  c: z.enum(['retry', 'cancel', 'time_out']),
  r: z.string().min(1),
  e: z.number().int().min(0),
});

export function encodeControlMessage(message: ControlMessage): string {
  return JSON.stringify({ c: message.action, r: message.runId, e: message.epoch });
}

export function encodeNodeMessage(message: NodeMessage): string {
  const { runId: r, nodeId: n, token: t, via, epoch } = message;
  return JSON.stringify({
    r,
    n,
    t,
    ...(via === undefined ? {} : { v: VIA_CODE[via] }),
    ...(epoch ? { e: epoch } : {}),
  });
}

export function encodeRelayMessage(message: RelayMessage): string {
  return JSON.stringify({ at: message.at, b: message.body });
}

export type DecodedMessage =
  | { readonly kind: 'node'; readonly message: NodeMessage }
  | { readonly kind: 'relay'; readonly message: RelayMessage }
  | { readonly kind: 'control'; readonly message: ControlMessage }
  | { readonly kind: 'invalid'; readonly reason: string };

/** Parses a queue message body; never throws. */
export function decodeMessage(body: string): DecodedMessage {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return { kind: 'invalid', reason: 'the body is not JSON' };
  }
  const node = nodeMessageSchema.safeParse(value);
  if (node.success) {
    const { r, n, t, v, e } = node.data;
    const message: NodeMessage = {
      runId: r,
      nodeId: n,
      token: t,
      ...(v ? { via: VIA[v] } : {}),
      ...(e ? { epoch: e } : {}),
    };
    return { kind: 'node', message };
  }
  const control = controlMessageSchema.safeParse(value);
  if (control.success) {
    const { c: action, r: runId, e: epoch } = control.data;
    return { kind: 'control', message: { runId, action, epoch } };
  }
  const relay = relayMessageSchema.safeParse(value);
  if (relay.success) return { kind: 'relay', message: { at: relay.data.at, body: relay.data.b } };
  return { kind: 'invalid', reason: 'neither a node, a control nor a relay message' };
}

/** What a log line says of a message: its kind, and the run and node it is about. */
export function peekMessage(
  body: string,
):
  | { readonly kind: 'invalid'; readonly reason: string; readonly keys: Record<string, string> }
  | { readonly kind: 'node' | 'control' | 'relay'; readonly keys: Record<string, string> } {
  const decoded = decodeMessage(body);
  switch (decoded.kind) {
    case 'invalid':
      return { kind: 'invalid', reason: decoded.reason, keys: {} };
    case 'node':
      return { kind: 'node', keys: { runId: decoded.message.runId, nodeId: decoded.message.nodeId } };
    case 'control':
      return { kind: 'control', keys: { runId: decoded.message.runId, control: decoded.message.action } };
    case 'relay':
      return { kind: 'relay', keys: {} };
  }
}

/**
 * The fuzzer's request model. Generators build requests whose path parts, keys and bodies may be
 * symbolic references (`{ ref: 'run', pick: 3 }`): they are resolved against what the server has
 * answered so far when the request is sent, so one seed always generates the same requests while
 * the ids they end up naming come from the live server.
 */

/** A path segment: literal text (sent percent-encoded unless `raw`), or a reference. */
export type Segment =
  | { readonly text: string; readonly raw?: boolean }
  | { readonly ref: RefKind; readonly pick: number };

export type RefKind =
  /** The tenant of the main key (the fuzzed tenant). */
  | 'tenant'
  /** The second tenant, whose data must never be reachable with the main key. */
  | 'otherTenant'
  /** A workflow id of the main tenant: the seed's or one the fuzzer published. */
  | 'workflow'
  /** A workflow id of the other tenant. */
  | 'otherWorkflow'
  /** A published version of the workflow named earlier in the same path (or 1.0.0). */
  | 'version'
  /** A run of the main tenant that the fuzzer may control (never a seed run). */
  | 'run'
  /** Any run of the main tenant, seed runs included: only read. */
  | 'anyRun'
  /** A run of the other tenant. */
  | 'otherRun'
  /** A key id the fuzzer made and may revoke. */
  | 'disposableKey'
  /** The other tenant's key id. */
  | 'otherKeyId'
  /** A cursor some listing returned (perhaps another listing's). */
  | 'cursor'
  /** The run started earlier in the same chain or burst. */
  | 'chainRun';

export type QueryValue = string | { readonly ref: RefKind; readonly pick: number };

/** Which credentials a request carries. */
export type AuthChoice =
  | { readonly kind: 'main' | 'other' | 'none' | 'unknown' | 'disposable' }
  /** Raw header values, sent as they are (wrong schemes, both headers, garbage). */
  | { readonly kind: 'raw'; readonly headers: Readonly<Record<string, string>> };

export interface BodyChoice {
  readonly text: string;
  /** Sent as Content-Type; absent sends none. */
  readonly contentType?: string;
}

/** One request before its references are resolved. */
export interface FuzzRequest {
  /** The OpenAPI operation it aims at (`GET /v1/tenants/{tenant}/runs`), or `unrouted`. */
  readonly operation: string;
  /** Which generator made it: `valid`, `near-valid`, `hostile`, `auth`, ... */
  readonly flavour: string;
  readonly method: string;
  readonly segments: readonly Segment[];
  /** Query parameters in order (repeats allowed); values may be references. */
  readonly query?: readonly (readonly [string, QueryValue])[];
  readonly auth: AuthChoice;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: BodyChoice;
}

/** What the runner executes: one request, a chain run in order, or a burst sent at once. */
export type FuzzItem =
  | { readonly kind: 'single'; readonly request: FuzzRequest }
  | { readonly kind: 'chain'; readonly steps: readonly FuzzRequest[] }
  | {
      readonly kind: 'burst';
      /** Sent in order first (publish, start), then `requests` all at once. */
      readonly prepare: readonly FuzzRequest[];
      readonly requests: readonly FuzzRequest[];
      /** What must hold across the burst's answers. */
      readonly invariant?: 'same-run' | 'one-created';
    };

/** A request as sent on the wire. */
export interface SentRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  /** The loopback address the connection came from (bad keys use their own, see `client.ts`). */
  readonly from: string;
}

export interface Answer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly text: string;
  readonly ms: number;
}

/** A failed oracle, with what is needed to send the request again. */
export interface Violation {
  readonly oracle: string;
  readonly detail: string;
  readonly operation: string;
  readonly flavour: string;
  readonly request: SentRequest;
  readonly response?: { readonly status: number; readonly text: string };
  /** A smaller request that fails the same oracle, found by shrinking (single requests only). */
  shrunk?: { readonly request: SentRequest; readonly response: { status: number; text: string } };
  /** The requests sent before it in the same chain or burst, when it took a sequence. */
  readonly sequence?: readonly SentRequest[];
  /** When it was sent and failed (performance.now() of the fuzzer), to line it up with stalls. */
  readonly window?: readonly [number, number];
  /** The id of the known issue (see known-issues.ts) that explains it; such ones do not fail the run. */
  known?: string;
}

/** Credentials of one tenant. */
export interface TenantKey {
  readonly tenant: string;
  readonly key: string;
  readonly keyId: string;
}

/** A server to fuzz: real HTTP on a loopback port. */
export interface FuzzTarget {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly own: TenantKey;
  readonly other: TenantKey;
  /** How the server was started, for the report. */
  readonly description: string;
  /** False once the server process has exited. */
  alive(): boolean;
  /** Errors the server logged as unhandled (each was a 500), as text. */
  unhandledErrors(): string[];
  /** Errors the local worker reported (engine and executors: not judged, listed in the report). */
  workerErrors(): string[];
  stop(): Promise<void>;
}

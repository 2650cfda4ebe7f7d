import type { AuthChoice, FuzzRequest, QueryValue, RefKind, Segment, TenantKey } from './types.ts';

/**
 * What the fuzzer has learnt from the server: the workflows, versions, runs, keys and cursors
 * that references resolve to. Seed runs are readable but never controlled (their state is checked
 * at the end), and the two tenants' own keys are never revoked.
 */
export class FuzzState {
  /** Main tenant: workflow id → published versions. */
  readonly workflows = new Map<string, string[]>();
  readonly otherWorkflows: string[] = [];
  /** Main tenant runs the fuzzer started: controlled freely. */
  readonly runs: string[] = [];
  /** Main tenant runs of the seed: read only. */
  readonly seedRuns: string[] = [];
  readonly otherRuns: string[] = [];
  /** Keys the fuzzer made (some revoked since): `disposable` auth and DELETE targets. */
  readonly disposableKeys: Array<{ keyId: string; key: string }> = [];
  readonly cursors: string[] = [];
  /** Texts only the other tenant's data holds (a token in its workflows' descriptions). */
  readonly otherSecrets: string[] = [];
  private unknownCount = 0;

  constructor(
    readonly own: TenantKey,
    readonly other: TenantKey,
  ) {}

  addWorkflow(id: string, version: string): void {
    const versions = this.workflows.get(id) ?? [];
    if (!versions.includes(version)) versions.push(version);
    this.workflows.set(id, versions);
  }

  addRun(runId: string): void {
    if (!this.runs.includes(runId)) this.runs.push(runId);
  }

  addCursor(cursor: string): void {
    if (this.cursors.length < 200 && !this.cursors.includes(cursor)) this.cursors.push(cursor);
  }

  /** The text a reference names now; `chainRun` comes from the sequence's own start. */
  resolve(ref: RefKind, pick: number, scope: { workflow?: string; chainRun?: string }): string {
    const from = (list: readonly string[], fallback: string) =>
      list[pick % Math.max(1, list.length)] ?? fallback;
    const ids = [...this.workflows.keys()];
    switch (ref) {
      case 'tenant':
        return this.own.tenant;
      case 'otherTenant':
        return this.other.tenant;
      case 'workflow':
        return from(ids, 'fz-none');
      case 'otherWorkflow':
        return from(this.otherWorkflows, 'seed-other-none');
      case 'version': {
        const versions = (scope.workflow && this.workflows.get(scope.workflow)) || [];
        return pick % 5 === 0 ? 'latest' : from(versions, '1.0.0');
      }
      case 'run':
        return from(this.runs, '01ARZ3NDEKTSV4RRFFQ69G5FAV');
      case 'anyRun':
        return from([...this.runs, ...this.seedRuns], '01ARZ3NDEKTSV4RRFFQ69G5FAV');
      case 'otherRun':
        return from(this.otherRuns, '01ARZ3NDEKTSV4RRFFQ69G5FAW');
      case 'disposableKey':
        return from(
          this.disposableKeys.map((k) => k.keyId),
          '01ARZ3NDEKTSV4RRFFQ69G5FAX',
        );
      case 'otherKeyId':
        return this.other.keyId;
      case 'cursor':
        return from(this.cursors, 'eyJwayI6IlQjeCIsInNrIjoiVyN4In0');
      case 'chainRun':
        return scope.chainRun ?? '01ARZ3NDEKTSV4RRFFQ69G5FAY';
    }
  }

  /** The request's path, percent-encoded (raw segments as they are), and its query string. */
  pathOf(request: FuzzRequest, scope: { chainRun?: string }): string {
    const local: { workflow?: string; chainRun?: string } = { ...scope };
    const parts = request.segments.map((segment: Segment, index) => {
      if ('text' in segment) {
        const before = request.segments[index - 1];
        if (before && 'text' in before && before.text === 'workflows') local.workflow = segment.text;
        return segment.raw ? segment.text : encode(segment.text);
      }
      const text = this.resolve(segment.ref, segment.pick, local);
      if (segment.ref === 'workflow') local.workflow = text;
      return encode(text);
    });
    const query = (request.query ?? []).map(
      ([name, value]) => `${encode(name)}=${this.queryText(value, local)}`,
    );
    return `/${parts.join('/')}${query.length > 0 ? `?${query.join('&')}` : ''}`;
  }

  private queryText(value: QueryValue, scope: { workflow?: string; chainRun?: string }): string {
    const text = typeof value === 'string' ? value : this.resolve(value.ref, value.pick, scope);
    return encode(text);
  }

  /**
   * Headers for the request's credentials, and whether they are good keys. Requests that may
   * fail authentication are sent from other loopback addresses (see `client.ts`).
   */
  authOf(auth: AuthChoice, pick: number): { headers: Record<string, string>; good: boolean } {
    switch (auth.kind) {
      case 'main':
        return { headers: { authorization: `Bearer ${this.own.key}` }, good: true };
      case 'other':
        return { headers: { authorization: `Bearer ${this.other.key}` }, good: true };
      case 'none':
        return { headers: {}, good: false };
      case 'unknown':
        this.unknownCount++;
        return {
          headers: { authorization: `Bearer skein_fuzz${this.unknownCount.toString(36).padStart(39, 'x')}` },
          good: false,
        };
      case 'disposable': {
        const key = this.disposableKeys[pick % Math.max(1, this.disposableKeys.length)]?.key ?? 'skein_none';
        return { headers: { 'x-api-key': key }, good: false };
      }
      case 'raw':
        return { headers: { ...auth.headers }, good: false };
    }
  }

  /** Texts that must never appear in an answer to a request made with the main key. */
  otherTenantMarkers(): string[] {
    return [this.other.key, this.other.keyId, ...this.otherRuns, ...this.otherSecrets];
  }
}

/**
 * Percent-encodes like encodeURIComponent, but never throws: a lone surrogate is sent as the bytes
 * Buffer writes for it (EF BF BD), so such strings still reach the server.
 */
export function encode(text: string): string {
  try {
    return encodeURIComponent(text);
  } catch {
    return [...Buffer.from(text, 'utf8')]
      .map((byte) =>
        /[A-Za-z0-9\-_.!~*'()]/.test(String.fromCharCode(byte))
          ? String.fromCharCode(byte)
          : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`,
      )
      .join('');
  }
}

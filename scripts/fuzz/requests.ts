import fc from 'fast-check';
import { type BodyContext, hostileBody, nearValidBody, validBody } from './bodies.ts';
import { longString, nastyString, POLLUTION_KEYS } from './hostile.ts';
import { crossRefOfParam, type Operation, refOfParam } from './operations.ts';
import { schemaArb } from './schema-arb.ts';
import type { AuthChoice, FuzzRequest, QueryValue, Segment } from './types.ts';

/**
 * Single requests for one operation of `/openapi.json`, in five flavours: `valid`, `near-valid`
 * (one thing wrong), `hostile` (bodies, path parameters, query strings and headers meant to break
 * something), `auth` (missing, unknown, malformed or revoked keys) and `cross-tenant` (the main
 * key aimed at the other tenant's tenant, workflows, runs and keys).
 */

const pick = fc.nat({ max: 10_000 });
/** Hostile strings short enough for a URL (Node refuses request lines over 16 KB before the app). */
const urlString = nastyString.map((text) => text.slice(0, 1_000));
const MAIN: AuthChoice = { kind: 'main' };

/** Path segments aimed at the real route, with references for its parameters. */
function validSegments(operation: Operation): fc.Arbitrary<Segment[]> {
  return fc.tuple(
    ...operation.parts.map((part): fc.Arbitrary<Segment> => {
      if ('literal' in part) return fc.constant({ text: part.literal });
      // Reads may name the seed's runs too; controls only the fuzzer's own (the seed is checked later).
      const ref = part.param === 'run' && operation.method === 'GET' ? 'anyRun' : refOfParam(part.param);
      if (ref) return pick.map((n) => ({ ref, pick: n }));
      // A parameter this fuzzer does not know yet: any short string.
      return fc.string({ minLength: 1, maxLength: 12 }).map((text) => ({ text }));
    }),
  );
}

/** Odd path parameter values: what a router and an id check must survive. */
const oddSegment: fc.Arbitrary<Segment> = fc.oneof(
  urlString.filter((text) => text.length > 0).map((text) => ({ text })),
  // At most 1,000 characters: a request line over Node's 16 KB header limit never reaches the app.
  longString().map((text) => ({ text: text.slice(0, 1_000) })),
  fc
    .constantFrom(
      '%ZZ',
      '%',
      '%00',
      '%2F',
      '%2e%2e',
      '..',
      '.',
      '%C0%AF',
      '%ED%A0%80',
      '%FF%FE',
      ';x=1',
      '*',
      '~',
    )
    .map((text) => ({ text, raw: true })),
  fc.stringMatching(/^[0-9A-HJKMNP-TV-Z]{26}$/).map((text) => ({ text })),
  fc
    .constantFrom('latest', '1.0.0', '0.0.0', '01.0.0', '1.0.0+build', '999999999.0.0', '1.0', 'v1.0.0')
    .map((text) => ({ text })),
);

const queryValue = (operation: Operation, name: string): fc.Arbitrary<QueryValue> => {
  const schema = operation.query.find((q) => q.name === name)?.schema ?? {};
  if (name === 'cursor') return pick.map((n) => ({ ref: 'cursor' as const, pick: n }));
  return schemaArb(schema, { components: {}, maxDepth: 1 }).map(String);
};

function validQuery(operation: Operation): fc.Arbitrary<Array<readonly [string, QueryValue]>> {
  if (operation.query.length === 0) return fc.constant([]);
  return fc
    .subarray(operation.query.map((q) => q.name))
    .chain((names) =>
      fc.tuple(...names.map((name) => queryValue(operation, name).map((v) => [name, v] as const))),
    );
}

/** Cursors a client could forge: other listings', other tenants', oversized, not base64. */
const forgedCursor: fc.Arbitrary<string> = fc.oneof(
  fc
    .record({
      pk: fc.constantFrom('T#demo', 'T#fuzz', 'T#other', 'T#fz-other', 'R#x', 'KEY#x', ''),
      sk: fc.oneof(
        fc.constantFrom('W#', 'V#', 'KEY#', 'RUN', 'W#\uffff', 'N#a'),
        longString().map((s) => `W#${s.slice(0, 1400)}`),
      ),
      runId: fc.oneof(fc.constant(undefined), urlString),
    })
    .map((key) => Buffer.from(JSON.stringify(key)).toString('base64url')),
  urlString,
  fc.constantFrom('', '=', '====', 'eyJ', 'bnVsbA', 'W10', 'IiI', 'eyJwayI6bnVsbH0', `${'A'.repeat(2049)}`),
);

function hostileQuery(operation: Operation): fc.Arbitrary<Array<readonly [string, QueryValue]>> {
  const names = operation.query.map((q) => q.name);
  const name = names.length > 0 ? fc.constantFrom(...names) : fc.constantFrom('limit', 'cursor');
  return fc.array(
    fc.oneof(
      fc.tuple(name, urlString),
      fc.tuple(
        fc.constant('limit'),
        fc.constantFrom('0', '-1', '101', '1e400', '1.5', 'NaN', '', ' 5', '0x10', '100000000000000000000'),
      ),
      fc.tuple(fc.constant('cursor'), forgedCursor),
      fc.tuple(fc.constant('status'), fc.constantFrom('running', 'DONE', '', 'RUNNING,FAILED', '__proto__')),
      fc.tuple(fc.constant('workflow'), fc.oneof(urlString, fc.constant('Hello'))),
      fc.tuple(fc.constantFrom(...POLLUTION_KEYS, 'limit[]', 'a[b]', ''), urlString),
    ),
    { minLength: 1, maxLength: 4 },
  );
}

/** Headers that confuse parsers and key readers; values stay sendable (latin1, no CR/LF). */
const hostileHeaders: fc.Arbitrary<Record<string, string>> = fc.oneof(
  fc.constant({ accept: 'application/xml' }),
  fc.constant({ 'content-encoding': 'gzip' }),
  fc.constant({ 'x-forwarded-for': '10.0.0.1, 127.0.0.1' }),
  fc.constant({ 'x-http-method-override': 'DELETE' }),
  fc.constant({ 'x-big': 'x'.repeat(6_000) }),
  fc.constant({ cookie: `a=${'b'.repeat(2_000)}` }),
  fc.constant({ 'accept-charset': 'utf-7' }),
);

const rawAuth: fc.Arbitrary<AuthChoice> = fc
  .oneof(
    fc.constant({ authorization: 'Basic dXNlcjpwYXNz' }),
    fc.constant({ authorization: 'Bearer' }),
    fc.constant({ authorization: 'Bearer ' }),
    fc.constant({ authorization: 'bearer skein_x' }),
    fc.constant({ authorization: `Bearer ${'a'.repeat(4_000)}` }),
    fc.constant({ authorization: 'Bearer skein_\u00e9\u00ff' }),
    fc.constant({ authorization: 'Bearer a b c' }),
    fc.constant({ 'x-api-key': '' }),
    fc.constant({ 'x-api-key': 'skein_guess' }),
    fc.constant({ authorization: 'Token x', 'x-api-key': 'skein_guess' }),
    nastyString
      .filter((s) => /^[\t\x20-\x7e\x80-\xff]*$/.test(s) && s.length < 4_000)
      .map((s) => ({ authorization: `Bearer ${s}` })),
  )
  .map((headers) => ({ kind: 'raw' as const, headers }));

const authArb: fc.Arbitrary<AuthChoice> = fc.oneof(
  fc.constantFrom<AuthChoice>(
    { kind: 'none' },
    { kind: 'unknown' },
    { kind: 'disposable' },
    { kind: 'other' },
  ),
  rawAuth,
);

/** One request for `operation`, of a random flavour. */
export function requestArb(operation: Operation, context: BodyContext): fc.Arbitrary<FuzzRequest> {
  const base = { operation: operation.key, method: operation.method };
  const valid = fc
    .record({
      segments: validSegments(operation),
      query: validQuery(operation),
      body: validBody(operation, context),
    })
    .map(
      ({ segments, query, body }): FuzzRequest => ({
        ...base,
        flavour: 'valid',
        segments,
        query,
        auth: MAIN,
        ...(body && { body }),
      }),
    );

  const nearValidArb = fc
    .record({
      segments: validSegments(operation),
      query: validQuery(operation),
      body: validBody(operation, context),
      change: fc.nat(),
      odd: oddSegment,
      mutated: nearValidBody(operation, context),
      extraQuery: hostileQuery(operation),
    })
    .map(({ segments, query, body, change, odd, mutated, extraQuery }): FuzzRequest => {
      const params = segments.flatMap((segment, index) => ('ref' in segment ? [index] : []));
      const which = change % 3;
      if (which === 0 && operation.body)
        return { ...base, flavour: 'near-valid', segments, query, auth: MAIN, body: mutated };
      if (which === 1 && params.length > 0) {
        const at = params[change % params.length] as number;
        const changed = segments.map((segment, index) => (index === at ? odd : segment));
        return {
          ...base,
          flavour: 'near-valid',
          segments: changed,
          query,
          auth: MAIN,
          ...(body && { body }),
        };
      }
      return {
        ...base,
        flavour: 'near-valid',
        segments,
        query: [...query, ...extraQuery.slice(0, 1)],
        auth: MAIN,
        ...(body && { body }),
      };
    });

  const hostile = fc
    .record({
      segments: validSegments(operation),
      odd: fc.array(oddSegment, { minLength: 1, maxLength: 3 }),
      query: hostileQuery(operation),
      body: hostileBody(),
      headers: hostileHeaders,
      what: fc.nat({ max: 3 }),
    })
    .map(({ segments, odd, query, body, headers, what }): FuzzRequest => {
      let next = segments;
      if (what === 1) {
        let i = 0;
        next = segments.map((segment) =>
          'ref' in segment && i < odd.length ? (odd[i++] as Segment) : segment,
        );
      }
      return {
        ...base,
        flavour: 'hostile',
        segments: next,
        query: what === 2 ? query : [],
        auth: MAIN,
        ...((what === 0 || operation.body) && { body }),
        ...(what === 3 && { headers }),
      };
    });

  const auth = fc
    .record({ request: valid, auth: authArb })
    .map(({ request, auth: choice }): FuzzRequest => ({ ...request, flavour: 'auth', auth: choice }));

  const crossTenant = fc
    .record({ request: valid, bits: fc.nat({ max: 15 }).map((n) => n || 1) })
    .map(({ request, bits }): FuzzRequest => {
      let bit = 0;
      const segments = request.segments.map((segment, index) => {
        const part = operation.parts[index];
        if (!('ref' in segment) || !part || !('param' in part)) return segment;
        const cross = crossRefOfParam(part.param);
        const use = cross && (bits >> bit++) & 1;
        return use ? { ref: cross, pick: segment.pick } : segment;
      });
      return { ...request, flavour: 'cross-tenant', segments };
    });

  const secured = operation.secured;
  return fc.oneof(
    { arbitrary: valid, weight: 3 },
    { arbitrary: nearValidArb, weight: 3 },
    { arbitrary: hostile, weight: 3 },
    { arbitrary: auth, weight: secured ? 1 : 0 },
    { arbitrary: crossTenant, weight: operation.parts.some((p) => 'param' in p) ? 2 : 0 },
  );
}

/** Requests no route answers: unknown paths, wrong methods, traversal. */
export function unroutedArb(operations: readonly Operation[]): fc.Arbitrary<FuzzRequest> {
  const paths = operations.map((operation) => operation.parts);
  return fc
    .record({
      method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'),
      parts: fc.constantFrom(...paths),
      cut: fc.nat({ max: 8 }),
      extra: fc.array(oddSegment, { maxLength: 2 }),
      prefix: fc.constantFrom('', 'v2', 'V1', 'v1/', '%2e%2e', '..', 'openapi.json'),
      body: fc.option(hostileBody(), { nil: undefined }),
    })
    .map(({ method, parts, cut, extra, prefix, body }): FuzzRequest => {
      const kept: Segment[] = parts
        .slice(0, Math.max(0, parts.length - (cut % 3)))
        .map((part, index) =>
          'literal' in part
            ? { text: part.literal }
            : { ref: refOfParam(part.param) ?? 'tenant', pick: index },
        );
      const segments = prefix ? [{ text: prefix, raw: true }, ...kept, ...extra] : [...kept, ...extra];
      return {
        operation: 'unrouted',
        flavour: 'unrouted',
        method,
        segments,
        auth: cut % 2 === 0 ? MAIN : { kind: 'none' },
        ...(body && method !== 'GET' && method !== 'HEAD' && { body }),
      };
    });
}

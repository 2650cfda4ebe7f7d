/**
 * Secrets of a tenant (API tokens, passwords) that `http` nodes send without ever holding them
 * in run state. An expression `{% $secret('name') %}` evaluates to a *reference*
 * (`secretRef(name)`), never to the value: references travel through `with`, run state, outputs
 * and events as they are; only the `http` executor swaps them for values, in the headers and body
 * it sends, and redacts any value that comes back (`redactSecrets`) before its output or error is
 * stored. On AWS the values live in SSM Parameter Store, locally in `.skein/secrets/` or the
 * environment (`shared/adapters/*-secrets.ts`).
 */

/** Where a tenant's secret value is read from. */
export interface Secrets {
  /** The value of the tenant's secret `name`, or undefined when there is none. */
  get(tenant: string, name: string): Promise<string | undefined>;
}

/** A secret's name: letters, digits, `_`, `.`, `-`, starting with a letter or digit (at most 128). */
export const SECRET_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

const MARK = '\u0000';
const PREFIX = `${MARK}secret:`;
// Built from strings: a NUL in a regular expression literal reads as a mistake.
const REF = new RegExp(`${MARK}secret:([A-Za-z0-9][A-Za-z0-9_.-]{0,127})${MARK}`, 'g');

/**
 * The reference `$secret(name)` evaluates to: the name between NUL marks, which cannot be typed in
 * YAML or sent in a header, so a reference that is never swapped cannot pass for a value.
 * @example secretRef('stripe') // '\u0000secret:stripe\u0000'
 */
export function secretRef(name: string): string {
  if (!SECRET_NAME.test(name)) {
    throw new Error(
      `$secret() takes a secret name (letters, digits, "_", ".", "-", up to 128), got ${JSON.stringify(name)}`,
    );
  }
  return `${PREFIX}${name}${MARK}`;
}

/** The secret names referenced in a string. */
export function secretNamesIn(text: string): string[] {
  return [...new Set([...text.matchAll(REF)].map((match) => match[1] as string))];
}

/** The string with each reference replaced by its value (every name must be in `values`). */
export function withSecrets(text: string, values: ReadonlyMap<string, string>): string {
  return text.replace(REF, (ref, name: string) => values.get(name) ?? ref);
}

/** Shortest value redacted: shorter ones would blank out ordinary text. */
const MIN_REDACTED = 4;

/**
 * A JSON value with every occurrence of a secret value replaced by `[secret:<name>]`, and every
 * reference shown as the same: what an `http` node stores as output or error after it sent them.
 * @example redactSecrets({ echoed: 'Bearer sk_live_1' }, new Map([['stripe', 'sk_live_1']])) // { echoed: 'Bearer [secret:stripe]' }
 */
export function redactSecrets<T>(value: T, values: ReadonlyMap<string, string>): T {
  if (values.size === 0 || value === undefined) return value;
  let text = JSON.stringify(value);
  if (text === undefined) return value;
  for (const [name, secret] of values) {
    if (secret.length < MIN_REDACTED) continue;
    const encoded = JSON.stringify(secret).slice(1, -1);
    text = text.split(encoded).join(`[secret:${name}]`);
  }
  return JSON.parse(text) as T;
}

/** A message with secret values and references replaced by their names. */
export function redactText(text: string, values: ReadonlyMap<string, string>): string {
  let out = text.replace(REF, (_ref, name: string) => `[secret:${name}]`);
  for (const [name, secret] of values) {
    if (secret.length >= MIN_REDACTED) out = out.split(secret).join(`[secret:${name}]`);
  }
  return out;
}

/** A reference as JSON text shows it (`console.log` of an object): the NUL marks escaped. */
const ESCAPED_REF = /\\u0000secret:[A-Za-z0-9][A-Za-z0-9_.-]{0,127}\\u0000/g;
const ANY_REF = new RegExp(`${MARK}secret:[A-Za-z0-9][A-Za-z0-9_.-]{0,127}${MARK}`, 'g');

/**
 * A log line with every secret reference and every value in `values` (as typed, and as JSON text
 * escapes it) replaced by `***`: what a script printed, before it is stored. Values shorter than
 * 4 characters are left, as in `redactText`.
 * @example maskSecrets('token sk_live_1', ['sk_live_1']) // 'token ***'
 */
export function maskSecrets(text: string, values: Iterable<string>): string {
  let out = text.replace(ANY_REF, '***').replace(ESCAPED_REF, '***');
  for (const secret of values) {
    if (secret.length < MIN_REDACTED) continue;
    out = out.split(secret).join('***');
    const escaped = JSON.stringify(secret).slice(1, -1);
    if (escaped !== secret) out = out.split(escaped).join('***');
  }
  return out;
}

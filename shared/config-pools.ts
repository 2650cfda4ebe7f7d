/**
 * The worker pools' variables: `SKEIN_POOL_QUEUES` (pool → queue name) and `SKEIN_POOL_TIMEOUTS`
 * (pool → seconds), parsed for `config.ts` (which names the variables).
 */

/** Every deployment has this pool; nodes without `pool` run on it. */
export const DEFAULT_POOL = 'default';

/** What SQS accepts as a queue name (standard queues). */
const QUEUE_NAME = /^[A-Za-z0-9_-]{1,80}$/;

/**
 * Parses `SKEIN_POOL_QUEUES` (`variable`, named in errors): a JSON object of pool name → SQS queue
 * name with a `default` pool.
 * @example poolQueueNamesOf('{"default":"Skein-prod-EngineDefaultPoolQueue-AbC123"}', 'SKEIN_POOL_QUEUES')
 */
export function poolQueueNamesOf(raw: string, variable: string): Readonly<Record<string, string>> {
  const expected = `${variable} must be a JSON object of pool name to SQS queue name with a "${DEFAULT_POOL}" pool`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    throw new Error(`${expected}; it is not JSON (${(error as Error).message}): ${raw.slice(0, 200)}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error(`${expected}, got ${raw.slice(0, 200)}`);
  }
  const entries = Object.entries(parsed);
  const bad = entries.filter(([, name]) => typeof name !== 'string' || !QUEUE_NAME.test(name));
  if (bad.length > 0) {
    throw new Error(
      `${expected}; not a queue name (${QUEUE_NAME}) for pool(s) ${bad.map(([pool]) => `"${pool}"`).join(', ')}`,
    );
  }
  if (!Object.hasOwn(parsed, DEFAULT_POOL)) {
    throw new Error(
      `${expected}; the "${DEFAULT_POOL}" pool is missing (pools: ${entries.map(([pool]) => pool).join(', ') || 'none'})`,
    );
  }
  return Object.freeze(Object.fromEntries(entries) as Record<string, string>);
}

/** Each name with `prefix` in front (a queue URL or ARN prefix ends with its separator). */
export function prefixed(
  names: Readonly<Record<string, string>>,
  prefix: string,
): Readonly<Record<string, string>> {
  return Object.freeze(
    Object.fromEntries(Object.entries(names).map(([pool, name]) => [pool, `${prefix}${name}`])),
  );
}

/**
 * Parses `SKEIN_POOL_TIMEOUTS`: `pool=seconds` entries separated by commas (compact: it sits in
 * Lambda's 4 KB environment), into milliseconds.
 * @example poolTimeoutsOf('default=60,gpu=900', 'SKEIN_POOL_TIMEOUTS') // { default: 60000, gpu: 900000 }
 */
export function poolTimeoutsOf(raw: string, variable: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const entry of raw.split(',')) {
    const match = /^([a-z][a-z0-9-]{0,39})=(\d{1,4})$/.exec(entry.trim());
    if (!match) {
      throw new Error(
        `${variable} must be pool=seconds entries separated by commas, got ${JSON.stringify(entry)}`,
      );
    }
    out[match[1] as string] = Number(match[2]) * 1000;
  }
  return out;
}

import type { Context } from 'hono';
import { Hono } from 'hono';
import { SkeinError } from '../../domain/problems.ts';
import type { TriggerDeps } from '../../engine/triggers/deps.ts';
import { receiveHook } from '../../engine/triggers/webhook.ts';
import type { Clock } from '../../ports/clock.ts';
import { errorBody } from '../errors.ts';
import { FailureLimiter, type FailureLimitOptions, sourceOf } from '../failure-limiter.ts';

export interface HookRouteDeps {
  readonly triggers?: TriggerDeps | undefined;
  readonly clock: Clock;
  readonly clientAddress: (c: Context) => string | undefined;
  /** Deliveries per client address. @default burst 120, 600 a minute */
  readonly hookRequests?: FailureLimitOptions | undefined;
}

/**
 * `POST /v1/hooks/{hook}`: the public webhook endpoint (no API key: the signature authenticates).
 * Rate limited per client address twice: every delivery takes a token of a generous bucket, a bad
 * signature one of a small one (the API key limiter's default), both 429 with `Retry-After`.
 * Answers 202 with the run id as soon as the run is started (not when it ends).
 */
export function hookRoutes(deps: HookRouteDeps) {
  const app = new Hono();
  const now = () => deps.clock.now();
  const requests = new FailureLimiter(now, deps.hookRequests ?? { burst: 120, perMinute: 600 });
  const failures = new FailureLimiter(now);
  app.post('/:hook', async (c) => {
    if (!deps.triggers)
      return c.json(errorBody('TRIGGERS_UNAVAILABLE', 'triggers are not available on this server'), 503);
    const source = sourceOf(deps.clientAddress(c));
    const wait = Math.max(requests.retryAfter(source), failures.retryAfter(source));
    if (wait > 0) {
      return c.json(
        errorBody('RATE_LIMITED', `too many deliveries from this address; retry in ${wait} s`),
        429,
        {
          'Retry-After': String(wait),
        },
      );
    }
    requests.fail(source);
    const headers: Record<string, string> = {};
    c.req.raw.headers.forEach((value, name) => {
      headers[name.toLowerCase()] = value;
    });
    try {
      const result = await receiveHook(deps.triggers, c.req.param('hook'), {
        rawBody: await c.req.text(),
        headers,
      });
      return c.json(
        { runId: result.runId ?? '', created: result.outcome === 'started' },
        result.outcome === 'started' ? 202 : 200,
      );
    } catch (error) {
      if (error instanceof SkeinError && (error.kind === 'unauthenticated' || error.kind === 'not_found')) {
        failures.fail(source);
      }
      throw error;
    }
  });
  return app;
}

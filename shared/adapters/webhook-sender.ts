/**
 * Sends one signed webhook (Standard Webhooks): POST of the JSON payload with `webhook-id`,
 * `webhook-timestamp` and `webhook-signature` (`Webhook(secret).sign(id, time, payload)`), through
 * the SSRF guard of `http` nodes (`checkUrl`, same allow-list and denied ports) and a dispatcher
 * pinned to the addresses it checked. Redirects are not followed (a 3xx is a failed attempt):
 * a redirect could lead past the guard's first verdict, and a receiver should be called at the
 * URL it registered.
 */
import { Webhook } from 'standardwebhooks';
import { type Dispatcher, fetch as undiciFetch } from 'undici';
import { pinnedAgent } from '../executors/pinned-agent.ts';
import { checkUrl, type GuardOptions } from '../executors/ssrf-guard.ts';

export interface WebhookRequest {
  readonly url: string;
  /** `whsec_<base64>`. */
  readonly secret: string;
  /** The same for every attempt of one message, so receivers can drop duplicates. */
  readonly messageId: string;
  /** The attempt's time (epoch ms): signed, so receivers can refuse replays. */
  readonly timestamp: number;
  readonly payload: string;
}

export type WebhookOutcome =
  | { readonly ok: true; readonly status: number }
  | {
      readonly ok: false;
      readonly status?: number;
      readonly error: string;
      /** True when retrying cannot help (the guard refused the URL): the deliverer parks at once. */
      readonly permanent: boolean;
    };

export type WebhookSender = (request: WebhookRequest) => Promise<WebhookOutcome>;

export interface WebhookSenderOptions {
  /** The SSRF guard's options: the `http` nodes' allow-list and denied ports. */
  readonly guard?: GuardOptions;
  /** @default 10_000 */
  readonly timeoutMs?: number;
  /** @default undici's fetch */
  readonly fetch?: typeof undiciFetch;
}

/**
 * @example const send = webhookSender({ guard: { allow: parseHttpAllow(['127.0.0.1:9000']) } });
 */
export function webhookSender(options: WebhookSenderOptions = {}): WebhookSender {
  const fetch = options.fetch ?? undiciFetch;
  const timeoutMs = options.timeoutMs ?? 10_000;
  return async (request) => {
    const verdict = await checkUrl(request.url, options.guard ?? {});
    if (!verdict.ok) {
      return {
        ok: false,
        error: `refused by the SSRF guard: ${verdict.reason}`,
        permanent: verdict.kind !== 'unresolved',
      };
    }
    const signature = new Webhook(request.secret).sign(
      request.messageId,
      new Date(request.timestamp),
      request.payload,
    );
    const dispatcher: Dispatcher = pinnedAgent(verdict.addresses);
    try {
      const response = await fetch(request.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Skein-Webhooks/1',
          'webhook-id': request.messageId,
          'webhook-timestamp': String(Math.floor(request.timestamp / 1000)),
          'webhook-signature': signature,
        },
        body: request.payload,
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
        dispatcher,
      });
      await response.body?.cancel();
      if (response.status >= 200 && response.status < 300) return { ok: true, status: response.status };
      return { ok: false, status: response.status, error: `HTTP ${response.status}`, permanent: false };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const name = error instanceof Error ? error.name : '';
      return {
        ok: false,
        error: name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : message,
        permanent: false,
      };
    } finally {
      await dispatcher.close().catch(() => {});
    }
  };
}

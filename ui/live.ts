import { headersOf, type Session, seg, tenantPath } from './api.ts';

export type LiveMode = 'stream' | 'polling';

/** Polling: every second while the run is active, every 5 s once it ended (a retry may wake it). */
const POLL_ACTIVE_MS = 1_000;
const POLL_ENDED_MS = 5_000;
/** Redraws at most this often however many events arrive (less often when a reload is slow). */
const COALESCE_MS = 150;

/**
 * Keeps a run's page current. It reads `GET .../events/stream?run=` (Server-Sent Events) with
 * `fetch`, since `EventSource` cannot send the key in a header, and refreshes on each event of the
 * run; where the stream does not answer (on AWS there is none) it polls the run view instead.
 * `refresh` reloads the page's data (first at once) and says whether the run is still active.
 */
export function keepLive(
  session: Session,
  runId: string,
  refresh: () => Promise<boolean>,
  onMode: (mode: LiveMode) => void,
): () => void {
  const abort = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let pending = false;
  let running = false;
  let stopped = false;
  /** How long the last reload took: a busy stream waits twice that between reloads. */
  let lastMs = 0;

  const reload = async (): Promise<boolean> => {
    if (running) {
      pending = true;
      return true;
    }
    running = true;
    const begin = performance.now();
    try {
      return await refresh();
    } catch {
      return true;
    } finally {
      lastMs = performance.now() - begin;
      running = false;
      if (pending && !stopped) {
        pending = false;
        setTimeout(() => void reload(), COALESCE_MS);
      }
    }
  };

  const poll = async () => {
    if (stopped) return;
    const active = await reload();
    if (!stopped) timer = setTimeout(() => void poll(), active ? POLL_ACTIVE_MS : POLL_ENDED_MS);
  };

  const stream = async () => {
    const url = `${tenantPath(session, '/events/stream')}?run=${seg(runId)}`;
    const response = await fetch(url, {
      headers: headersOf(session, { accept: 'text/event-stream' }),
      signal: abort.signal,
    });
    const type = response.headers.get('content-type') ?? '';
    if (!response.ok || !type.includes('text/event-stream') || !response.body) {
      await response.body?.cancel();
      throw new Error(`no event stream (HTTP ${response.status})`);
    }
    onMode('stream');
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) throw new Error('the event stream ended');
      buffer += value;
      const messages = buffer.split('\n\n');
      buffer = messages.pop() ?? '';
      // Every message (the first is "ready": events may have come before the stream opened).
      if (messages.some((message) => /^(event|data):/m.test(message))) scheduleReload();
    }
  };

  let coalesce: ReturnType<typeof setTimeout> | undefined;
  const scheduleReload = () => {
    if (coalesce !== undefined) return;
    coalesce = setTimeout(
      () => {
        coalesce = undefined;
        void reload();
      },
      Math.max(COALESCE_MS, 2 * lastMs),
    );
  };

  void reload();
  void stream().catch(() => {
    if (stopped) return;
    onMode('polling');
    void poll();
  });

  return () => {
    stopped = true;
    abort.abort();
    if (timer !== undefined) clearTimeout(timer);
    if (coalesce !== undefined) clearTimeout(coalesce);
  };
}

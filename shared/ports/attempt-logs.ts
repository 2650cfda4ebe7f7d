/**
 * What a script printed during one attempt (`console.*` in JavaScript, `print` in Lua): captured
 * in the sandbox, bounded to {@link MAX_LOG_BYTES}, carried on the attempt's `ExecutionResult`
 * (`logs`), redacted of secrets by the script executor, and stored by the engine with the attempt
 * (`RunStore.putLogs`, a separate item written only when the attempt printed something).
 */

export const LOG_LEVELS = ['log', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface LogLine {
  /** ISO 8601 time the line was printed. */
  readonly ts: string;
  readonly level: LogLevel;
  readonly message: string;
}

/** The lines of one attempt; `truncated` when it printed more than the bound (the last line says so). */
export interface AttemptLogs {
  readonly lines: readonly LogLine[];
  readonly truncated: boolean;
}

/** An attempt's logs as the engine hands them on once stored (`EngineDeps.onScriptLogs`). */
export interface AttemptLogsEntry {
  readonly tenant: string;
  readonly runId: string;
  readonly nodeId: string;
  readonly attempt: number;
  readonly logs: AttemptLogs;
}

/** The most an attempt keeps: message bytes (UTF-8) plus {@link LINE_OVERHEAD_BYTES} per line. */
export const MAX_LOG_BYTES = 64 * 1024;
/** Counted per line besides its message, so a million empty lines are bounded too. */
export const LINE_OVERHEAD_BYTES = 32;
/** Kept free for the line that says the logs were cut. */
const NOTICE_RESERVE = 160;

/** The last line of logs that were cut. */
export function truncationNotice(maxBytes: number): string {
  return `[skein] logs truncated: this attempt printed more than ${maxBytes} bytes; later output was dropped`;
}

/**
 * Collects lines up to `maxBytes`; past it, keeps what fits of the line that crossed the bound,
 * adds a notice line and drops the rest.
 * @example
 * const logs = new LogCollector(() => Date.now());
 * logs.add('info', 'loaded 3 rows');
 * logs.result(); // { lines: [{ ts: '…', level: 'info', message: 'loaded 3 rows' }], truncated: false }
 */
export class LogCollector {
  private readonly lines: LogLine[] = [];
  private used = 0;
  private cut = false;

  constructor(
    private readonly nowMs: () => number,
    private readonly maxBytes: number = MAX_LOG_BYTES,
  ) {}

  /** Adds a line (at `atMs`, else now); false once the bound is reached (later lines are dropped). */
  add(level: LogLevel, message: string, atMs?: number): boolean {
    if (this.cut) return false;
    const ts = new Date(atMs ?? this.nowMs()).toISOString();
    const room = this.maxBytes - NOTICE_RESERVE - this.used - LINE_OVERHEAD_BYTES;
    const bytes = Buffer.byteLength(message, 'utf8');
    if (bytes <= room) {
      this.used += bytes + LINE_OVERHEAD_BYTES;
      this.lines.push({ ts, level, message });
      return true;
    }
    if (room > 0) this.lines.push({ ts, level, message: prefixOfBytes(message, room) });
    this.truncate();
    return false;
  }

  /** Marks the logs cut (the sandbox dropped lines before they reached this collector). */
  truncate(): void {
    if (this.cut) return;
    this.cut = true;
    this.lines.push({
      ts: new Date(this.nowMs()).toISOString(),
      level: 'warn',
      message: truncationNotice(this.maxBytes),
    });
  }

  /** The lines, or `undefined` when nothing was printed. */
  result(): AttemptLogs | undefined {
    if (this.lines.length === 0) return undefined;
    return { lines: [...this.lines], truncated: this.cut };
  }
}

/** The longest prefix of `text` within `bytes` of UTF-8, never splitting a character. */
function prefixOfBytes(text: string, bytes: number): string {
  let prefix = text.slice(0, bytes);
  while (Buffer.byteLength(prefix, 'utf8') > bytes) {
    prefix = prefix.slice(
      0,
      Math.max(0, prefix.length - Math.ceil((Buffer.byteLength(prefix, 'utf8') - bytes) / 3)),
    );
  }
  // A lone high surrogate at the end would be half a character.
  return /[\uD800-\uDBFF]$/.test(prefix) ? prefix.slice(0, -1) : prefix;
}

/** Each line with `redact` applied to its message (secrets never reach storage). */
export function mapLogMessages(logs: AttemptLogs, redact: (text: string) => string): AttemptLogs {
  return { ...logs, lines: logs.lines.map((line) => ({ ...line, message: redact(line.message) })) };
}

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KNOWN_ISSUES } from './known-issues.ts';
import type { Answer, SentRequest, Violation } from './types.ts';

type StatusClass = '2xx' | '3xx' | '4xx' | '5xx' | 'other';
const classOf = (status: number): StatusClass =>
  status >= 200 && status < 600 ? (`${Math.floor(status / 100)}xx` as StatusClass) : 'other';

/** Counts of a session: by route and status class, by status, by error code, by flavour. */
export class Stats {
  readonly byRoute = new Map<string, Record<StatusClass, number>>();
  readonly byStatus = new Map<number, number>();
  readonly byCode = new Map<string, number>();
  readonly byFlavour = new Map<string, number>();
  /** Route → 4xx statuses it answered that `/openapi.json` does not list for it. */
  readonly undocumented = new Map<string, Set<number>>();
  readonly latencies: number[] = [];
  readonly healthMs: number[] = [];
  healthFailures = 0;
  /** Why undici refused to send some requests (a header value it cannot write, ...). */
  readonly unsendable: string[] = [];
  /** Bodies over 1 MB whose sending failed because the server had refused them (413) already. */
  refusedUploads = 0;
  /** The longest the fuzzer's own event loop was blocked, in ms. */
  fuzzerStallMs = 0;
  /** The longest a background /health probe took: how long the server answered nothing. */
  serverStallMs = 0;
  backgroundProbes = 0;
  /** Exceptions of the fuzzer itself (its own bugs), by item. */
  readonly fuzzerErrors: string[] = [];
  total = 0;
  private began = 0;
  private ended = 0;

  start(): void {
    this.began = performance.now();
  }

  stop(): void {
    this.ended = performance.now();
  }

  get seconds(): number {
    return ((this.ended || performance.now()) - this.began) / 1000;
  }

  count(
    route: string,
    flavour: string,
    answer: Answer,
    code: string | undefined,
    undocumented?: number,
  ): void {
    this.total++;
    const row = this.byRoute.get(route) ?? { '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0, other: 0 };
    row[classOf(answer.status)]++;
    this.byRoute.set(route, row);
    bump(this.byStatus, answer.status);
    if (code) bump(this.byCode, code);
    bump(this.byFlavour, flavour);
    this.latencies.push(answer.ms);
    if (undocumented !== undefined) {
      const set = this.undocumented.get(route) ?? new Set<number>();
      set.add(undocumented);
      this.undocumented.set(route, set);
    }
  }

  health(ms: number | undefined): void {
    if (ms === undefined) this.healthFailures++;
    else this.healthMs.push(ms);
  }

  count5xx(): number {
    return [...this.byStatus].filter(([status]) => status >= 500).reduce((sum, [, n]) => sum + n, 0);
  }
}

function bump<K>(map: Map<K, number>, key: K): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

const percentile = (values: readonly number[], p: number): number => {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
};

export interface ReportInput {
  readonly command: string;
  readonly target: string;
  readonly seed: number;
  readonly requested: number;
  readonly stats: Stats;
  readonly violations: readonly Violation[];
  readonly seedProblems: readonly string[];
  readonly canaryHits: readonly string[];
  readonly alive: boolean;
  readonly unhandled: readonly string[];
  readonly workerErrors: readonly string[];
  readonly operations: readonly string[];
}

/** The report as Markdown: figures first, then each violation with a curl line to replay it. */
export function markdownReport(input: ReportInput): string {
  const { stats } = input;
  const rate = stats.total / Math.max(stats.seconds, 0.001);
  const lines = [
    '# API fuzzing report',
    '',
    `Command: \`${input.command}\``,
    `Target: ${input.target}`,
    `Seed ${input.seed}; ${stats.total} requests (asked for ${input.requested}) in ${stats.seconds.toFixed(1)} s: ${rate.toFixed(0)} requests/s; latency p50 ${percentile(stats.latencies, 50).toFixed(1)} ms, p99 ${percentile(stats.latencies, 99).toFixed(1)} ms.`,
    `5xx: ${stats.count5xx()}. Violations: ${input.violations.filter((v) => !v.known).length} (and ${input.violations.filter((v) => v.known).length} explained by known issues elsewhere). Seed data changed: ${input.seedProblems.length}. SSRF canary hits: ${input.canaryHits.length}. Server alive at the end: ${input.alive ? 'yes' : 'NO'}. Unhandled errors logged by the server: ${input.unhandled.length}.`,
    `/health probes: ${stats.healthMs.length} answered (max ${Math.max(0, ...stats.healthMs).toFixed(1)} ms), ${stats.healthFailures} failed. Requests the client could not send: ${stats.unsendable.length}${stats.unsendable.length > 0 ? ` (${[...new Set(stats.unsendable)].slice(0, 3).join('; ')})` : ''}. Uploads over 1 MB cut off by the 413: ${stats.refusedUploads}. Fuzzer errors: ${stats.fuzzerErrors.length}. Longest stall of the fuzzer's own event loop: ${stats.fuzzerStallMs.toFixed(0)} ms.`,
    `Background /health probes (every 250 ms): ${stats.backgroundProbes}, the slowest ${stats.serverStallMs.toFixed(0)} ms (how long the server answered nothing).`,
    '',
    '## Requests by route and status class',
    '',
    '| route | 2xx | 4xx | 5xx | other |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...[...input.operations, 'unrouted'].map((route) => {
      const row = stats.byRoute.get(route) ?? { '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0, other: 0 };
      return `| \`${route}\` | ${row['2xx']} | ${row['4xx']} | ${row['5xx']} | ${row['3xx'] + row.other} |`;
    }),
    '',
    `By status: ${[...stats.byStatus]
      .sort(([a], [b]) => a - b)
      .map(([s, n]) => `${s}: ${n}`)
      .join(', ')}.`,
    '',
    `By flavour: ${[...stats.byFlavour]
      .sort()
      .map(([f, n]) => `${f}: ${n}`)
      .join(', ')}.`,
    '',
    `Distinct error codes (${stats.byCode.size}): ${[...stats.byCode]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([c, n]) => `${c} (${n})`)
      .join(', ')}.`,
    '',
  ];
  if (stats.undocumented.size > 0) {
    lines.push(
      '4xx statuses a route answered that `/openapi.json` does not list for it (documentation drift, not failures):',
      '',
    );
    for (const [route, statuses] of stats.undocumented)
      lines.push(`- \`${route}\`: ${[...statuses].sort().join(', ')}`);
    lines.push('');
  }
  const fresh = input.violations.filter((v) => !v.known);
  lines.push('## Violations', '');
  if (fresh.length === 0) lines.push('None.', '');
  for (const [i, v] of fresh.entries()) lines.push(...violationLines(`${i + 1}.`, v));
  const known = KNOWN_ISSUES.filter((issue) => input.violations.some((v) => v.known === issue.id));
  if (known.length > 0) {
    lines.push('## Known issues outside the API layer (reported, not failures of this run)', '');
    for (const issue of known) {
      const seen = input.violations.filter((v) => v.known === issue.id);
      lines.push(`### ${issue.id} (${seen.length}×): ${issue.summary}`, '', `Owner: ${issue.owner}.`, '');
      const first = seen[0] as Violation;
      lines.push(
        `First seen: ${first.oracle}: ${first.detail.slice(0, 300)}`,
        '',
        ...violationLines('', first).slice(1),
      );
    }
  }
  for (const error of stats.fuzzerErrors.slice(0, 10)) lines.push(`- fuzzer error: ${error.slice(0, 600)}`);
  for (const problem of input.seedProblems) lines.push(`- seed data: ${problem}`);
  for (const hit of input.canaryHits) lines.push(`- SSRF canary reached: ${hit}`);
  for (const error of input.unhandled.slice(0, 20))
    lines.push(`- unhandled on the server: ${error.slice(0, 300)}`);
  if (input.workerErrors.length > 0) {
    lines.push('', `## Worker errors (${input.workerErrors.length}; the engine's, not judged here)`, '');
    const distinct = new Map<string, number>();
    for (const error of input.workerErrors) bump(distinct, error.slice(0, 200));
    for (const [error, n] of distinct) lines.push(`- ${n}× ${error}`);
  }
  return `${lines.join('\n')}\n`;
}

function violationLines(title: string, v: Violation): string[] {
  const lines = [
    `### ${title} ${v.oracle}: ${v.detail.slice(0, 300)}`,
    '',
    `Route ${v.operation}, flavour ${v.flavour}.`,
    '',
  ];
  if (v.sequence) lines.push(`After ${v.sequence.length} requests of its sequence (in the JSON report).`, '');
  const shown = v.shrunk ?? { request: v.request, response: v.response };
  if (v.shrunk) lines.push('Shrunk by fast-check to:', '');
  lines.push('```sh', curlOf(shown.request), '```', '');
  if (shown.response)
    lines.push(
      `Answer ${shown.response.status}: \`${shown.response.text.slice(0, 500).replaceAll('`', "'")}\``,
      '',
    );
  return lines;
}

/** A curl line that sends the request again (the key left as $KEY). */
export function curlOf(request: SentRequest): string {
  const quote = (text: string) => `'${text.replaceAll("'", "'\\''")}'`;
  const parts = ['curl -s', `-X ${request.method}`, `--interface ${request.from}`];
  for (const [name, value] of Object.entries(request.headers)) {
    const shown = redactKeys(value);
    parts.push(
      `-H ${quote(`${name}: ${shown.length > 200 ? `${shown.slice(0, 200)}…(${shown.length} chars)` : shown}`)}`,
    );
  }
  if (request.body !== undefined) {
    parts.push(
      request.body.length > 2_000
        ? `--data-binary @body.txt  # ${request.body.length} chars, in the JSON report`
        : `--data-binary ${quote(request.body)}`,
    );
  }
  parts.push(
    quote(
      `http://127.0.0.1:8080${request.path.length > 2_000 ? `${request.path.slice(0, 2_000)}…` : request.path}`,
    ),
  );
  return parts.join(' ');
}

/** API keys (`skein_` and 43 base64url characters) as `$KEY`: reports get shared and committed. */
export const redactKeys = (text: string): string => text.replace(/skein_[A-Za-z0-9_-]{43}/g, '$KEY');

/** Writes `<dir>/fuzz-report.md` and `<dir>/fuzz-violations.json`, keys redacted; returns their paths. */
export function writeReports(dir: string, input: ReportInput): string[] {
  mkdirSync(dir, { recursive: true });
  const md = join(dir, 'fuzz-report.md');
  const json = join(dir, 'fuzz-violations.json');
  writeFileSync(md, redactKeys(markdownReport(input)));
  const { seed, command, violations, seedProblems, canaryHits, unhandled, workerErrors } = input;
  const details = { seed, command, violations, seedProblems, canaryHits, unhandled, workerErrors };
  writeFileSync(json, `${redactKeys(JSON.stringify(details, null, 2))}\n`);
  return [md, json];
}

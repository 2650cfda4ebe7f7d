/**
 * Soak: `npm start` (the embedded store) under steady load for a while, to show node latency does
 * not grow with the process's age (issue 13: within 10% of the start after 30 minutes). `workers`
 * clients each run noop diamonds back to back over HTTP; per minute it records the runs, their
 * p50 and p95 (start to seen ended, polled every 2 ms), the server's RSS and the database's size.
 *   npx tsx bench/soak.ts [minutes=30] [workers=4]
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { diamondRun, publishDiamond, startServer, stopServer } from './npm-start-driver.ts';
import { replaceSection } from './sections.ts';
import { percentile } from './stats.ts';

const minutes = Number(process.argv[2] ?? 30);
const workers = Number(process.argv[3] ?? 4);
const MINUTE = 60_000;

interface Minute {
  readonly minute: number;
  readonly runs: number;
  readonly p50: number;
  readonly p95: number;
  readonly rssMb: number;
  readonly dbMb: number;
}

const rssMb = (pid: number) =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
const sizeMb = (file: string) => {
  try {
    return statSync(file).size / 2 ** 20;
  } catch {
    return 0;
  }
};

const load = loadavg()
  .map((n) => n.toFixed(2))
  .join(' / ');
const server = await startServer('sqlite');
await publishDiamond(server);
const startedAt = Date.now();
const endAt = startedAt + minutes * MINUTE;
const samples: number[][] = Array.from({ length: minutes }, () => []);
const pid = server.child.pid as number;
const db = join(server.dataDir, 'skein.db');
// The server's memory and the database's size at the end of each minute.
const rss: number[] = [];
const dbSize: number[] = [];
const meter = setInterval(() => {
  rss.push(rssMb(pid));
  dbSize.push(sizeMb(db));
}, MINUTE);
let failures = 0;
await Promise.all(
  Array.from({ length: workers }, async () => {
    while (Date.now() < endAt) {
      const minute = Math.floor((Date.now() - startedAt) / MINUTE);
      try {
        const ms = await diamondRun(server);
        samples[Math.min(minute, minutes - 1)]?.push(ms);
      } catch {
        failures++;
      }
    }
  }),
);
clearInterval(meter);
const table: Minute[] = [];
for (let m = 0; m < minutes; m++) {
  const values = samples[m] ?? [];
  table.push({
    minute: m + 1,
    runs: values.length,
    p50: percentile(values, 50),
    p95: percentile(values, 95),
    rssMb: rss[m] ?? rssMb(pid),
    dbMb: dbSize[m] ?? sizeMb(db),
  });
}
await stopServer(server);

const first = table[1] ?? table[0]; // minute 1 warms up
const last = table.at(-1);
const ratio = first && last ? last.p50 / first.p50 : Number.NaN;
const lines = [
  '## Soak: `npm start` under steady load',
  '',
  `Measured by \`npx tsx bench/soak.ts ${minutes} ${workers}\` on ${new Date().toISOString().slice(0, 10)}: ${workers} clients running noop diamonds back to back over HTTP against \`npm start\` (embedded store), ${minutes} minutes; load average ${load} at the start (2 cores). Failed runs: ${failures}.`,
  '',
  '| minute | runs | p50 ms | p95 ms | server RSS MB | database MB |',
  '|---|---|---|---|---|---|',
  ...table.map(
    (row) =>
      `| ${row.minute} | ${row.runs} | ${row.p50.toFixed(1)} | ${row.p95.toFixed(1)} | ${row.rssMb.toFixed(0)} | ${row.dbMb.toFixed(1)} |`,
  ),
  '',
  `p50 of the last minute ÷ the second minute's: **${ratio.toFixed(2)}** (target: within 10%, ≤ 1.10). At the end: server RSS ${last?.rssMb.toFixed(0)} MB, database ${last?.dbMb.toFixed(1)} MB.`,
];
console.log(lines.join('\n'));
const results = new URL('RESULTS.md', import.meta.url);
writeFileSync(results, replaceSection(readFileSync(results, 'utf8'), 'soak', lines.join('\n')));

// Starts a sandbox thread from TypeScript source (tests, `npm start`, `skein run`): a worker
// thread does not inherit the parent's tsx loader, and on Node 20 `execArgv: ['--import', 'tsx']`
// does not reach the thread's entry (it does on Node 24), so the entry is imported after
// registering tsx here. Bundles (Lambda) start their `.mjs` entry directly.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);

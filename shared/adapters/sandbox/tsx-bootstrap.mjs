// Starts a sandbox host from TypeScript source (tests, `npm start`, `skein run`): neither a
// worker thread nor a forked process inherits the parent's tsx loader, and on Node 20
// `execArgv: ['--import', 'tsx']` does not reach a thread's entry (it does on Node 24), so the
// entry (workerData.entry in a thread, the first argument in a process) is imported after
// registering tsx here. Bundles (Lambda) start their `.mjs` entry directly.
import { argv } from 'node:process';
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData?.entry ?? argv[2]);

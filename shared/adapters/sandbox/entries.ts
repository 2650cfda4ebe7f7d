import { SANDBOX_ENTRIES, type SandboxLane } from '../../config.ts';
import type { WorkerEntry } from './worker-lane.ts';

/**
 * Where a lane's threads start. From source (this module is a `.ts` file: tsx in tests, local
 * mode and the CLI) through the tsx bootstrap; from a bundle (Lambda: the CDK app bundles this
 * module into `index.mjs` and each lane's entry into the file `SANDBOX_ENTRIES` names) from the
 * file next to the bundle.
 */
export function workerEntry(lane: SandboxLane): WorkerEntry {
  const fromSource = import.meta.url.endsWith('.ts');
  if (!fromSource) return { url: new URL(`./${SANDBOX_ENTRIES[lane].bundle}`, import.meta.url) };
  const source = SANDBOX_ENTRIES[lane].source.split('/').at(-1) ?? '';
  return {
    url: new URL('./tsx-bootstrap.mjs', import.meta.url),
    entry: new URL(`./${source}`, import.meta.url).href,
  };
}

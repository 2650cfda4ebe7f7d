import { SANDBOX_ENTRIES, type SandboxLane } from '../../config.ts';

/** Where a lane's hosts start: the module to run, and for the tsx bootstrap the entry it imports. */
export interface HostEntry {
  readonly module: URL;
  readonly entry?: string;
}

/**
 * From source (this module is a `.ts` file: tsx in tests, local mode and the CLI) a host starts
 * the tsx bootstrap, which imports the lane's `.ts` entry; from a bundle (Lambda: the CDK app
 * bundles this module into `index.mjs` and each lane's entry into the file `SANDBOX_ENTRIES`
 * names) it starts that file, next to the bundle.
 */
export function hostEntry(lane: SandboxLane): HostEntry {
  const fromSource = import.meta.url.endsWith('.ts');
  if (!fromSource) return { module: new URL(`./${SANDBOX_ENTRIES[lane].bundle}`, import.meta.url) };
  const source = SANDBOX_ENTRIES[lane].source.split('/').at(-1) ?? '';
  return {
    module: new URL('./tsx-bootstrap.mjs', import.meta.url),
    entry: new URL(`./${source}`, import.meta.url).href,
  };
}

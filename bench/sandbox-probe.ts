// Bundled by `sandbox.bench.ts` with the sandbox's host entries, as the CDK app bundles a
// function: prints the figures of a pool started from the bundle, as JSON.
import { SandboxPool } from '../shared/adapters/sandbox/sandbox-pool.ts';
import { measureSandbox } from './sandbox-measure.ts';

process.stdout.write(JSON.stringify(await measureSandbox(() => new SandboxPool())));

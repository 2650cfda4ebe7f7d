import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { bundleEntry } from '../../cli/bundle.mjs';

const run = promisify(execFile);
const root = new URL('../..', import.meta.url).pathname;
const bin = `${root}cli/bin.js`;

describe('the CLI bundle', () => {
  it('serves help and the API commands from a bundle keyed by the sources, and run and keys from source', async () => {
    // Act
    const validate = await bundleEntry(['validate', 'x.yaml']);
    const help = await bundleEntry([]);
    const runs = await bundleEntry(['runs', 'logs']);
    const local = await Promise.all([bundleEntry(['run', 'x.yaml']), bundleEntry(['keys', 'list'])]);

    // Assess
    const current = JSON.parse(readFileSync(`${root}.cache/cli/current.json`, 'utf8')) as {
      key: string;
      inputs: string[];
    };
    expect(validate).toBe(new URL(`.cache/cli/${current.key}/main.mjs`, `file://${root}`).href);
    expect([help, runs]).toEqual([validate, validate]);
    expect(local).toEqual([undefined, undefined]);
    expect(current.inputs).toContain('cli/main.ts');
    expect(current.inputs).toContain('shared/domain/validate.ts');
  }, 60_000);

  it('starts `skein --help` and `skein validate` well within 3 s (the figures are in README)', async () => {
    // Prepare: the bundle exists (built by the first call if it did not).
    await bundleEntry(['validate']);

    // Act
    const started = performance.now();
    const { stdout } = await run(process.execPath, [bin, 'validate', `${root}examples/hello.yaml`]);
    const validateMs = performance.now() - started;
    const helpStarted = performance.now();
    const help = await run(process.execPath, [bin, '--help']);
    const helpMs = performance.now() - helpStarted;

    // Assess
    expect(stdout).toContain('valid, 3 node(s)');
    expect(help.stdout).toContain('Usage: skein');
    expect(validateMs).toBeLessThan(3_000);
    expect(helpMs).toBeLessThan(3_000);
  }, 60_000);
});

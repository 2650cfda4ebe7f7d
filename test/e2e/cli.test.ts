import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const bin = new URL('../../cli/bin.js', import.meta.url).pathname;

/** Runs `skein ...` as a user would and returns its exit code and output. */
async function skein(...args: string[]) {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args], { timeout: 30_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const { code, stdout, stderr } = error as { code: number; stdout: string; stderr: string };
    return { code, stdout, stderr };
  }
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'skein-cli-'));
  writeFileSync(join(dir, 'ok.yaml'), 'nodes:\n  a: {type: noop}\n  b: {type: noop, needs: [a]}\n');
  writeFileSync(join(dir, 'ok.json'), JSON.stringify({ nodes: { x: { type: 'noop' } } }));
  writeFileSync(
    join(dir, 'bad.yaml'),
    'nodes:\n  a: {type: noop, needs: [b]}\n  b: {type: noop, needs: [a]}\n',
  );
});

describe('skein validate', () => {
  it('exits 0 and prints the levels for a valid file', async () => {
    const result = await skein('validate', join(dir, 'ok.yaml'));
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('level 0: a');
    expect(result.stdout).toContain('level 1: b');
  });

  it('prints one JSON object for one file', async () => {
    const result = await skein('validate', '--json', join(dir, 'ok.json'));
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      file: join(dir, 'ok.json'),
      valid: true,
      errors: [],
      order: [['x']],
    });
  });

  it('exits 1 and prints an array with each problem when any file is invalid', async () => {
    // Act
    const result = await skein('validate', '--json', join(dir, 'ok.yaml'), join(dir, 'bad.yaml'));
    // Assess
    expect(result.code).toBe(1);
    const [ok, bad] = JSON.parse(result.stdout);
    expect(ok.valid).toBe(true);
    expect(bad).toMatchObject({
      valid: false,
      order: [],
      errors: [
        { code: 'CYCLE', path: '$.nodes.a.needs[0]', message: expect.stringContaining('a -> b -> a') },
      ],
    });
  });

  it('shows each problem on one line with its path in human mode', async () => {
    const result = await skein('validate', join(dir, 'bad.yaml'));
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/CYCLE\s+\$\.nodes\.a\.needs\[0\]\s+cycle a -> b -> a/);
  });

  it('exits 2 for an unreadable file and for bad usage', async () => {
    expect((await skein('validate', join(dir, 'missing.yaml'))).code).toBe(2);
    expect((await skein('validate')).code).toBe(2);
    expect((await skein('frobnicate')).code).toBe(2);
  });

  it('warns about node types the target does not run, and fails on them with --strict', async () => {
    // Prepare
    const file = join(dir, 'kinds.yaml');
    writeFileSync(file, 'nodes:\n  a: {type: noop}\n  tell: {type: event, needs: [a]}\n');

    // Act
    const local = await skein('validate', file);
    const aws = await skein('validate', '--target', 'aws', '--strict', file);
    const strictLocal = await skein('validate', '--strict', '--json', file);
    const unknown = await skein('validate', '--target', 'gcp', file);

    // Assess
    expect(local.code).toBe(0);
    expect(local.stdout).toContain(
      '⚠ NODE_TYPE_UNAVAILABLE $.nodes.tell.type  node "tell" is an "event" node, which local Skein (skein run, npm start) does not run',
    );
    expect(aws.code).toBe(0);
    expect(aws.stdout).not.toContain('⚠');
    expect(strictLocal.code).toBe(1);
    expect(JSON.parse(strictLocal.stdout)).toMatchObject({
      valid: false,
      errors: [{ code: 'NODE_TYPE_UNAVAILABLE', path: '$.nodes.tell.type' }],
    });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('--target must be one of local, aws, got "gcp"');
  });

  it('validates the shipped examples', async () => {
    const examples = new URL('../../examples/', import.meta.url).pathname;
    const result = await skein(
      'validate',
      join(examples, 'hello.yaml'),
      join(examples, 'order-pipeline.yaml'),
    );
    expect(result.stdout).not.toContain('✗');
    expect(result.code).toBe(0);
  });
});

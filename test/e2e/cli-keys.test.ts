import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer } from './api-server.ts';

const bin = new URL('../../cli/bin.js', import.meta.url).pathname;

let api: Awaited<ReturnType<typeof startApiServer>>;
beforeAll(async () => {
  api = await startApiServer();
});
afterAll(async () => {
  expect(api.errors).toEqual([]);
  await api.close();
});

/** Runs `skein keys ...` through the API with acme's key, as a user would. */
async function keys(...args: string[]) {
  const flags = ['--tenant', 'acme', '--api', api.url, '--key', api.keys.acme];
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [bin, 'keys', ...args, ...flags], {
      timeout: 30_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const { code, stdout, stderr } = error as { code: number; stdout: string; stderr: string };
    return { code, stdout, stderr };
  }
}

describe('skein keys --api', () => {
  it('creates, lists and revokes a key through the API; the revoked key gets 401 at once', async () => {
    // Prepare
    const created = await keys('create', '--label', 'from the cli', '--json');
    const { key, keyId } = JSON.parse(created.stdout) as { key: string; keyId: string };

    // Act
    const listed = await keys('list');
    const revoked = await keys('revoke', keyId);
    const again = await keys('revoke', keyId);
    const after = await api.request('GET', '/v1/tenants/acme/workflows', { key });

    // Assess
    expect(created.code).toBe(0);
    expect(listed.stdout).toMatch(new RegExp(`^${keyId}\\s+\\S+\\s+-\\s+from the cli$`, 'm'));
    expect(listed.stdout).not.toContain(key);
    expect(revoked).toMatchObject({ code: 0, stdout: `Revoked API key ${keyId} of tenant "acme".\n` });
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`NOT_FOUND: tenant "acme" has no API key "${keyId}"`);
    expect(after.status).toBe(401);
  });

  it("answers 404 (exit 1) for another tenant's key", async () => {
    // Act
    const result = await keys('revoke', api.keyIds.globex);

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('NOT_FOUND');
  });

  it('exits 1 and says to check the key when the API refuses it', async () => {
    // Act
    const result = await promisify(execFile)(process.execPath, [
      bin,
      'keys',
      'list',
      '--tenant',
      'acme',
      '--api',
      api.url,
      '--key',
      'skein_wrong',
    ]).catch((error: { code: number; stderr: string }) => error);

    // Assess
    expect(result).toMatchObject({ code: 1, stderr: expect.stringContaining('UNAUTHORIZED') });
    expect((result as { stderr: string }).stderr).toContain('check --key and --tenant');
  });
});

import fc from 'fast-check';
import semver from 'semver';
import { describe, expect, it } from 'vitest';
import { assertPublishableVersion, decidePublish, versionSortKey } from '../../shared/domain/versions.ts';

const semverArb = fc
  .record({
    major: fc.nat(20),
    minor: fc.nat(20),
    patch: fc.nat(20),
    pre: fc.array(fc.oneof(fc.nat(12), fc.constantFrom('alpha', 'beta', 'rc', 'a-b', 'x1', 'Z')), {
      maxLength: 3,
    }),
  })
  .map(
    ({ major, minor, patch, pre }) => `${major}.${minor}.${patch}${pre.length ? `-${pre.join('.')}` : ''}`,
  );

describe('versionSortKey', () => {
  it('orders keys exactly as semver precedence', () => {
    fc.assert(
      fc.property(semverArb, semverArb, (a, b) => {
        // Plain string comparison, as DynamoDB compares sort keys (byte order of UTF-8).
        const [ka, kb] = [versionSortKey(a), versionSortKey(b)];
        expect(ka < kb ? -1 : ka > kb ? 1 : 0).toBe(semver.compare(a, b));
      }),
      { numRuns: 2000 },
    );
  });

  it('puts prereleases before their release', () => {
    const ordered = [
      '1.0.0-alpha',
      '1.0.0-alpha.1',
      '1.0.0-alpha.beta',
      '1.0.0-beta',
      '1.0.0-beta.2',
      '1.0.0-beta.11',
      '1.0.0-rc.1',
      '1.0.0',
    ];
    expect([...ordered].reverse().sort((a, b) => (versionSortKey(a) < versionSortKey(b) ? -1 : 1))).toEqual(
      ordered,
    );
  });
});

describe('assertPublishableVersion', () => {
  it.each(['1.0', 'v1.0.0', '1.0.0+build.1', '01.0.0', 'latest', '1000000000.0.0'])(
    'refuses %s',
    (version) => {
      expect(() => assertPublishableVersion(version)).toThrow(
        expect.objectContaining({ code: 'INVALID_VERSION' }),
      );
    },
  );
});

describe('decidePublish', () => {
  const base = { workflowId: 'wf', version: '1.2.0', digest: 'd1' };

  it('creates a version greater than its major line', () => {
    expect(decidePublish({ ...base, existingDigest: undefined, majorHead: '1.1.9' })).toEqual({
      kind: 'create',
    });
  });

  it('treats the identical body as idempotent', () => {
    expect(decidePublish({ ...base, existingDigest: 'd1', majorHead: '1.2.0' })).toEqual({
      kind: 'identical',
    });
  });

  it('refuses a different body under an existing version with 409', () => {
    expect(() => decidePublish({ ...base, existingDigest: 'd0', majorHead: '1.3.0' })).toThrow(
      expect.objectContaining({
        kind: 'conflict',
        code: 'VERSION_EXISTS',
        message: expect.stringContaining('1.3.0'),
      }),
    );
  });

  it('refuses a version not greater than the latest of its major line, naming it', () => {
    expect(() => decidePublish({ ...base, existingDigest: undefined, majorHead: '1.4.0' })).toThrow(
      expect.objectContaining({
        kind: 'conflict',
        code: 'VERSION_NOT_GREATER',
        message: expect.stringContaining('1.4.0'),
      }),
    );
  });
});

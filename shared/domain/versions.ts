import semver from 'semver';
import { LIMITS } from './limits.ts';
import { ConflictError, SkeinError } from './problems.ts';

const MAX_PART = 10 ** LIMITS.maxVersionDigits - 1;

/**
 * Checks that `version` can be published: strict semver, no build metadata (it has no
 * precedence, so two versions could tie), each number at most 9 digits.
 */
export function assertPublishableVersion(version: string): semver.SemVer {
  const parsed = semver.parse(version);
  if (!parsed || parsed.version !== version) {
    throw new SkeinError(
      'INVALID_VERSION',
      `"${version}" is not a semantic version such as 1.2.0 or 2.0.0-rc.1`,
    );
  }
  if (parsed.build.length > 0) {
    throw new SkeinError(
      'INVALID_VERSION',
      `"${version}" has build metadata; publish ${parsed.version} instead`,
    );
  }
  if ([parsed.major, parsed.minor, parsed.patch].some((part) => part > MAX_PART)) {
    throw new SkeinError('INVALID_VERSION', `"${version}" has a part larger than ${MAX_PART}`);
  }
  return parsed;
}

const pad = (n: number) => String(n).padStart(LIMITS.maxVersionDigits, '0');

/**
 * A string whose lexicographic order is semver precedence, for storage sort keys.
 * Numeric prerelease identifiers sort before alphanumeric ones ("0" + padded vs "1" + text), the
 * identifier separator "!" sorts below every allowed character, and a release ("~") after all of
 * its prereleases.
 * @example versionSortKey('1.2.0-rc.1') < versionSortKey('1.2.0')
 */
export function versionSortKey(version: string): string {
  const v = assertPublishableVersion(version);
  const core = `${pad(v.major)}.${pad(v.minor)}.${pad(v.patch)}`;
  if (v.prerelease.length === 0) return `${core}~`;
  const pre = v.prerelease.map((id) => (typeof id === 'number' ? `0${pad(id)}` : `1${id}`)).join('!');
  return `${core}!${pre}`;
}

export type PublishDecision = { kind: 'create' } | { kind: 'identical' };

/**
 * Publish rules: an existing version is immutable (identical body → idempotent, else 409), and a
 * new version must be greater than the latest of its major line.
 */
export function decidePublish(input: {
  workflowId: string;
  version: string;
  digest: string;
  existingDigest: string | undefined;
  majorHead: string | undefined;
}): PublishDecision {
  const { workflowId, version, digest, existingDigest, majorHead } = input;
  if (existingDigest !== undefined) {
    if (existingDigest === digest) return { kind: 'identical' };
    throw new ConflictError(
      'VERSION_EXISTS',
      `${workflowId}@${version} is already published with a different body; versions are immutable, publish a new version${
        majorHead ? ` greater than ${majorHead}` : ''
      }`,
    );
  }
  if (majorHead !== undefined && !semver.gt(version, majorHead)) {
    throw new ConflictError(
      'VERSION_NOT_GREATER',
      `${workflowId}@${version} must be greater than the latest ${semver.major(version)}.x version, ${majorHead}`,
    );
  }
  return { kind: 'create' };
}

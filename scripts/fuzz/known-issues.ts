import type { Violation } from './types.ts';

/**
 * Violations whose cause lies outside the API layer (the domain validator, the engine, the
 * sandbox): reported to their owners with a reproduction, listed in the report under their id,
 * and not counted as failures of `npm run fuzz`. Each entry says where the cause is; remove it
 * once the cause is fixed, and the fuzzer fails again if the problem comes back.
 */
export interface KnownIssue {
  readonly id: string;
  /** Where the cause is and who owns it. */
  readonly owner: string;
  readonly summary: string;
  readonly matches: (violation: Violation, context: { readonly stallMs: number }) => boolean;
}

// K1 (scripts stalling npm start's event loop) is gone since scripts and expressions run in the
// sandbox's threads and processes; its entry was removed so the fuzzer fails if it comes back.
export const KNOWN_ISSUES: readonly KnownIssue[] = [];

/** The known issue a violation belongs to, if any. */
export function knownIssueOf(
  violation: Violation,
  context: { readonly stallMs: number },
): KnownIssue | undefined {
  return KNOWN_ISSUES.find((issue) => issue.matches(violation, context));
}

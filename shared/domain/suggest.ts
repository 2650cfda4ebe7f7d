import { closest, distance } from 'fastest-levenshtein';

/**
 * The closest candidate to a misspelt name, or undefined when nothing is close enough to help.
 * @example suggest('fetc', ['fetch', 'store']) === 'fetch'
 */
export function suggest(name: string, candidates: readonly string[]): string | undefined {
  if (candidates.length === 0) return undefined;
  const best = closest(name, candidates as string[]);
  const allowed = Math.max(2, Math.floor(name.length / 3));
  return distance(name, best) <= allowed ? best : undefined;
}

/** `; did you mean "fetch"?` or nothing. */
export function didYouMean(name: string, candidates: readonly string[]): string {
  const best = suggest(name, candidates);
  return best === undefined ? '' : `; did you mean "${best}"?`;
}

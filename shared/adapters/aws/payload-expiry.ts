/**
 * Expiry classes of payload objects, shared by the S3 adapter (which tags each object) and the
 * CDK stack (one lifecycle rule per class): S3 lifecycle rules count days from an object's
 * creation and cannot read a per-object date, so an object carries the class that outlives the
 * run item referencing it. No SDK import: `infra/` reads this file.
 */

/** The tag naming an object's expiry class; the CDK stack's lifecycle rules filter on it. */
export const PAYLOAD_EXPIRY_TAG = 'skein-expiry';
/**
 * Expiry classes, in days from an object's creation. The longest covers the longest a run item can
 * live: a year active (`maxRunDays`) plus 3,650 days of retention, plus the margin.
 */
export const PAYLOAD_EXPIRY_DAYS = [7, 14, 35, 95, 190, 400, 800, 1_830, 4_020] as const;
/** Days past the item's TTL an object is kept: DynamoDB deletes expired items within about 48 hours. */
export const TTL_DELETION_MARGIN_DAYS = 3;

/**
 * The expiry class of an object whose item expires at `expiresAt` (epoch seconds), at `nowMs`.
 * @example expiryClassOf(nowSeconds + 30 * 86_400, nowMs) // 35
 */
export function expiryClassOf(expiresAt: number | undefined, nowMs: number): number {
  const longest = PAYLOAD_EXPIRY_DAYS[PAYLOAD_EXPIRY_DAYS.length - 1] as number;
  if (expiresAt === undefined) return longest;
  const days = Math.ceil((expiresAt * 1000 - nowMs) / 86_400_000) + TTL_DELETION_MARGIN_DAYS;
  return PAYLOAD_EXPIRY_DAYS.find((option) => option >= days) ?? longest;
}

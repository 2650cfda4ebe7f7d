/** The bundle's entry (a file URL) for these arguments after `skein`, or undefined to run from source. */
export function bundleEntry(args: readonly string[]): Promise<string | undefined>;

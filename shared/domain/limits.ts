/** Limits from SPEC "Guarantees"; each is reported as a LIMIT problem when exceeded. */
export const LIMITS = {
  maxNodes: 10_000,
  maxParents: 100,
  maxDefinitionBytes: 1024 * 1024,
  maxOutputBytes: 256 * 1024,
  maxInputBytes: 256 * 1024,
  maxMapItems: 10_000,
  /** A map's collected output (every item's output, in order); larger ones go to the payload store. */
  maxMapOutputBytes: 8 * 1024 * 1024,
  maxScriptMillis: 30_000,
  maxScriptMemoryMb: 64,
  /** Cycles listed one by one before the rest are summarised: enumeration is output-sensitive. */
  maxReportedCycles: 50,
  /** Semantic version parts are stored zero-padded to this many digits. */
  maxVersionDigits: 9,
  /**
   * Levels of arrays/objects a parsed document (definition, API body, run inputs) may nest. Parsers
   * and everything after them recurse per level; real workflows stay far below.
   */
  maxNestingDepth: 256,
  /**
   * Distinct workflows one definition may call (`workflow` nodes, maps over a workflow): publishing
   * records each in the same transaction as the version (DynamoDB: at most 100 items).
   */
  maxCalledWorkflows: 50,
} as const;

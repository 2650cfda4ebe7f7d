/**
 * The items of a `map` node are nodes of their own to the engine, named `<mapId>[<index>]` (node
 * ids cannot hold `[`, so the name never clashes with a node of the definition). Stores keep them
 * apart from the definition's nodes, so listing a run's nodes never reads a map's items.
 */

/** Digits of an item's index in its store key: the keys then sort in index order. */
export const ITEM_INDEX_DIGITS = 5;

const ITEM_ID = /^([A-Za-z_][A-Za-z0-9_-]*)\[(\d{1,5})\]$/;

/** The engine's id of item `index` of map `mapId`, e.g. `resize[42]`. */
export function itemIdOf(mapId: string, index: number): string {
  return `${mapId}[${index}]`;
}

/** The map and index an item id names; undefined for a node of the definition. */
export function parseItemId(id: string): { readonly mapId: string; readonly index: number } | undefined {
  const match = ITEM_ID.exec(id);
  if (!match?.[1] || match[2] === undefined) return undefined;
  return { mapId: match[1], index: Number(match[2]) };
}

/** The index as its store key writes it (zero-padded, so keys sort by index). */
export function paddedIndex(index: number): string {
  return String(index).padStart(ITEM_INDEX_DIGITS, '0');
}

import type { DefinitionStore } from '../ports/definition-store.ts';

/** Every published version of a workflow (none when it does not exist). */
export async function allVersions(definitions: DefinitionStore, tenant: string, workflowId: string) {
  const all: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await definitions.listVersions(tenant, workflowId, {
      limit: 100,
      ...(cursor ? { cursor } : {}),
    });
    all.push(...page.items.map((item) => item.version));
    cursor = page.cursor;
  } while (cursor);
  return all;
}

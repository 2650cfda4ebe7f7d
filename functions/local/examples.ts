import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseSource, sourceFormatOf } from '../../shared/domain/source.ts';
import { UnresolvedCallError } from '../../shared/engine/publish-contracts.ts';
import { type PublishDeps, publishDefinition } from '../../shared/engine/publish-definition.ts';

/**
 * Publishes every definition in `dir` (each names its own `id` and `version`) for `tenant`. A
 * definition that calls a workflow not published yet is tried again after the others, so callees
 * go first whatever the file names.
 */
export async function publishExamples(deps: PublishDeps, dir: string, tenant: string): Promise<string[]> {
  const lines: string[] = [];
  let pending = (await readdir(dir)).filter((f) => /\.(ya?ml|json)$/.test(f)).sort();
  while (pending.length > 0) {
    const waiting: string[] = [];
    const failed: string[] = [];
    for (const file of pending) {
      const parsed = parseSource(await readFile(join(dir, file), 'utf8'), sourceFormatOf(file));
      const body = parsed.value as { id?: unknown; version?: unknown } | undefined;
      if (typeof body?.id !== 'string' || typeof body.version !== 'string') {
        lines.push(`  ! ${file}: skipped, an example must set "id" and "version"`);
        continue;
      }
      try {
        const { created } = await publishDefinition(deps, {
          tenant,
          workflowId: body.id,
          version: body.version,
          body,
        });
        lines.push(
          `  ${created ? '+' : '='} ${body.id}@${body.version}${created ? '' : ' (already published)'}`,
        );
      } catch (error) {
        if (error instanceof UnresolvedCallError) waiting.push(file);
        failed.push(`  ! ${file}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    // Another pass only while it can publish more: a call that stays unresolved is reported.
    const progressed = waiting.length < pending.length && waiting.length > 0;
    if (!progressed) lines.push(...failed);
    else lines.push(...failed.filter((line) => !waiting.some((file) => line.startsWith(`  ! ${file}:`))));
    pending = progressed ? waiting : [];
  }
  return lines;
}

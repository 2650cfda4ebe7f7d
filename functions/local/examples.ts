import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseSource, sourceFormatOf } from '../../shared/domain/source.ts';
import { type PublishDeps, publishDefinition } from '../../shared/engine/publish-definition.ts';

/** Publishes every definition in `dir` (each names its own `id` and `version`) for `tenant`. */
export async function publishExamples(deps: PublishDeps, dir: string, tenant: string): Promise<string[]> {
  const lines: string[] = [];
  const files = (await readdir(dir)).filter((f) => /\.(ya?ml|json)$/.test(f)).sort();
  for (const file of files) {
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
      lines.push(`  ! ${file}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return lines;
}

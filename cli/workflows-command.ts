import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { createTwoFilesPatch } from 'diff';
import { dump } from 'js-yaml';
import { canonicalJson } from '../shared/domain/canonical-json.ts';
import { parseSource, sourceFormatOf } from '../shared/domain/source.ts';
import { CliError, call, tenantPath } from './api-client.ts';
import { EXIT, type Io } from './io.ts';
import { type RunsOptions, withApi } from './runs-command.ts';

interface WorkflowSummary {
  readonly workflowId: string;
  readonly latest: string;
  readonly versionCount: number;
  readonly description?: string;
  readonly updatedAt?: string;
}

interface VersionSummary {
  readonly version: string;
  readonly publishedAt: string;
  readonly digest?: string;
  readonly description?: string;
}

const workflowPath = (id: string) => `/workflows/${encodeURIComponent(id)}`;

/** `skein workflows list`: one line per workflow of the tenant (id, latest version, versions). */
export function workflowsListCommand(options: RunsOptions, io: Io): Promise<number> {
  return withApi(options, io, async (target) => {
    const items = await pages<WorkflowSummary>((cursor) =>
      call(
        target,
        'GET',
        `${tenantPath(target)}/workflows${cursor ? `?cursor=${encodeURIComponent(cursor)}` : ''}`,
      ),
    );
    if (options.json) io.out(JSON.stringify(items));
    else if (items.length === 0) io.err(`Tenant "${target.tenant}" has no workflows.`);
    else {
      for (const w of items) {
        io.out(
          `${w.workflowId}  latest ${w.latest}  (${w.versionCount} version${w.versionCount === 1 ? '' : 's'})${w.description ? `  ${w.description}` : ''}`,
        );
      }
    }
  });
}

/** `skein workflows versions WF`: its versions, newest first, with when each was published. */
export function workflowsVersionsCommand(workflowId: string, options: RunsOptions, io: Io): Promise<number> {
  return withApi(options, io, async (target) => {
    const base = `${tenantPath(target)}${workflowPath(workflowId)}/versions`;
    const items = await pages<VersionSummary>((cursor) =>
      call(target, 'GET', `${base}${cursor ? `?cursor=${encodeURIComponent(cursor)}` : ''}`),
    );
    if (options.json) io.out(JSON.stringify(items));
    else
      for (const v of items)
        io.out(`${v.version}  published ${v.publishedAt}${v.description ? `  ${v.description}` : ''}`);
  });
}

/**
 * `skein workflows publish FILE [--workflow ID] [--version V]`: publishes the file as it is (YAML
 * or JSON), under the id and version it names (or the flags; the id defaults to the file's name).
 */
export function workflowsPublishCommand(
  file: string,
  options: RunsOptions & { workflow?: string; version?: string },
  io: Io,
): Promise<number> {
  return withApi(options, io, async (target) => {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      throw new CliError(`cannot read ${file}: ${(error as Error).message}`, EXIT.usage);
    }
    const format = sourceFormatOf(file);
    const parsed = parseSource(text, format).value as { id?: unknown; version?: unknown } | undefined;
    const workflowId =
      options.workflow ?? (typeof parsed?.id === 'string' ? parsed.id : basename(file, extname(file)));
    const version = options.version ?? (typeof parsed?.version === 'string' ? parsed.version : undefined);
    if (version === undefined)
      throw new CliError(`${file} names no version: pass --version 1.0.0`, EXIT.usage);
    const path = `${tenantPath(target)}${workflowPath(workflowId)}/versions/${encodeURIComponent(version)}`;
    const type = format === 'json' ? 'application/json' : 'application/yaml';
    const published = await call<{ warnings?: { message: string }[] }>(target, 'PUT', path, text, type);
    if (options.json) io.out(JSON.stringify(published));
    else io.out(`published ${workflowId}@${version} for tenant "${target.tenant}"`);
    for (const warning of published?.warnings ?? []) io.err(`⚠ ${warning.message}`);
  });
}

/** `skein workflows diff WF FROM TO`: a unified diff of the two versions' definitions, as YAML. */
export function workflowsDiffCommand(
  workflowId: string,
  from: string,
  to: string,
  options: RunsOptions,
  io: Io,
): Promise<number> {
  return withApi(options, io, async (target) => {
    const read = (version: string) =>
      call<{ definition: unknown }>(
        target,
        'GET',
        `${tenantPath(target)}${workflowPath(workflowId)}/versions/${encodeURIComponent(version)}`,
      );
    const [a, b] = await Promise.all([read(from), read(to)]);
    const yamlOf = (value: unknown) => dump(value, { lineWidth: 120, noRefs: true });
    const patch = createTwoFilesPatch(
      `${workflowId}@${from}`,
      `${workflowId}@${to}`,
      yamlOf(a.definition),
      yamlOf(b.definition),
    );
    if (options.json)
      io.out(
        JSON.stringify({
          workflowId,
          from,
          to,
          same: canonicalJson(a.definition) === canonicalJson(b.definition),
          patch,
        }),
      );
    else io.out(patch.trimEnd());
  });
}

/** Every item of a paged listing (`cursor` until there is none). */
async function pages<T>(
  read: (cursor: string | undefined) => Promise<{ items: T[]; cursor?: string }>,
): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  do {
    const page = await read(cursor);
    items.push(...page.items);
    cursor = page.cursor;
  } while (cursor);
  return items;
}

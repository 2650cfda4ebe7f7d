import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { stringify } from 'yaml';
import { BUILTIN_TEMPLATES } from '../shared/domain/builtin-templates.ts';
import type { Problem } from '../shared/domain/problems.ts';
import { SkeinError } from '../shared/domain/problems.ts';
import {
  findTemplate,
  type Instance,
  instantiateTemplate,
  type WorkflowTemplate,
} from '../shared/domain/templates.ts';
import { EXIT, type Io } from './io.ts';

export interface NewOptions {
  readonly template: string;
  readonly var?: string[];
  readonly workflow?: string;
  readonly version?: string;
  readonly out?: string;
  readonly force?: boolean;
}

/**
 * `skein new --template ID [--var k=v]... [--workflow ID] [--out FILE]`: fills a built-in
 * template offline and writes a definition that passes validation (YAML, or JSON for a `.json`
 * file; its triggers in `triggers:`), with the suggested subscriptions as comments. Exit 1 for bad variables, 2
 * for usage errors (unknown template, `--var` without `=`, an existing file without `--force`).
 */
export async function newCommand(options: NewOptions, io: Io): Promise<number> {
  let template: WorkflowTemplate;
  let instance: Instance;
  try {
    template = findTemplate(BUILTIN_TEMPLATES, options.template);
    const variables = parseVars(options.var ?? [], template);
    instance = instantiateTemplate(template, {
      workflow: options.workflow,
      version: options.version,
      variables,
    });
  } catch (error) {
    if (!(error instanceof SkeinError)) throw error;
    io.err(`skein: ${error.code}: ${error.message}`);
    for (const problem of (error.details as Problem[] | undefined)?.slice(1) ?? []) {
      io.err(`  ${problem.path}: ${problem.message}`);
    }
    return error.code === 'INVALID_VARIABLES' ? EXIT.failed : EXIT.usage;
  }
  const text = render(template, instance, options.out);
  if (options.out === undefined) {
    io.out(text.trimEnd());
    return EXIT.ok;
  }
  if (existsSync(options.out) && !options.force) {
    io.err(`skein: ${options.out} exists; pass --force to replace it`);
    return EXIT.usage;
  }
  await writeFile(options.out, text);
  io.err(
    `Wrote ${options.out} (workflow "${instance.workflow}" ${instance.version}, from template ${template.id}).`,
  );
  io.err(`Check it with: skein validate ${options.out}`);
  return EXIT.ok;
}

/** `skein templates [--json]`: the built-in templates and their variables, offline. */
export function templatesCommand(options: { json?: boolean }, io: Io): number {
  if (options.json) {
    io.out(JSON.stringify(BUILTIN_TEMPLATES, null, 2));
    return EXIT.ok;
  }
  for (const template of BUILTIN_TEMPLATES) {
    io.out(`${template.id}  ${template.title}`);
    io.out(`    ${template.description}`);
    for (const [name, variable] of Object.entries(template.variables)) {
      const more = [
        variable.required ? 'required' : undefined,
        variable.default !== undefined ? `default ${JSON.stringify(variable.default)}` : undefined,
        variable.enum ? `one of ${variable.enum.map((v) => JSON.stringify(v)).join('|')}` : undefined,
      ].filter((part) => part !== undefined);
      io.out(`    --var ${name}=<${variable.type}>${more.length ? `  (${more.join(', ')})` : ''}`);
    }
  }
  return EXIT.ok;
}

/**
 * `k=v` pairs as the variables' values: a string variable takes the text as it is, any other
 * type reads it as JSON (`--var maxConcurrency=20`, `--var github=true`). Text that is not JSON
 * stays text, so the check reports "expected integer, got string".
 */
function parseVars(pairs: readonly string[], template: WorkflowTemplate): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new SkeinError('USAGE', `--var takes name=value, got "${pair}"`, 'invalid');
    const name = pair.slice(0, at);
    const raw = pair.slice(at + 1);
    const type = Object.hasOwn(template.variables, name) ? template.variables[name]?.type : 'string';
    values[name] = type === 'string' ? raw : readJson(raw);
  }
  return values;
}

function readJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

function render(template: WorkflowTemplate, instance: Instance, file: string | undefined): string {
  if (file !== undefined && extname(file).toLowerCase() === '.json') {
    return `${JSON.stringify(instance.definition, null, 2)}\n`;
  }
  const header = [`# From the Skein template "${template.id}": ${template.title}.`];
  const suggestions = instance.subscriptions.map((s) => ({ kind: 'subscriptions', ...s }));
  if (suggestions.length > 0) {
    header.push('# After publishing, create what it suggests (e.g. with curl -X PUT -d BODY):');
    for (const { kind, id, body } of suggestions) {
      header.push(`#   PUT /v1/tenants/{tenant}/${kind}/${id}`, `#   ${JSON.stringify(body)}`);
    }
  }
  return `${header.join('\n')}\n${stringify(instance.definition, { lineWidth: 0 })}`;
}

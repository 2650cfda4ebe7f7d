import { readFile } from 'node:fs/promises';
import { unavailableNodeTypes } from '../shared/domain/node-types.ts';
import type { Problem } from '../shared/domain/problems.ts';
import { sourceFormatOf } from '../shared/domain/source.ts';
import { validateSource } from '../shared/domain/validate.ts';
import { DEPLOYMENTS, type Deployment, NODE_TYPES_RUN } from '../shared/executors/node-types.ts';
import { EXIT, type Io } from './io.ts';

export interface FileResult {
  readonly file: string;
  readonly valid: boolean;
  readonly errors: Problem[];
  readonly order: string[][];
  /** Node types the target deployment does not run (errors with `--strict`). */
  readonly warnings?: Problem[];
}

export interface ValidateOptions {
  readonly json?: boolean;
  /** Where the definitions will run: their node types are checked against it. @default 'local' */
  readonly target?: string;
  /** A node type the target does not run makes the file invalid (exit 1). */
  readonly strict?: boolean;
}

/**
 * `skein validate FILE... [--json] [--target local|aws] [--strict]`: exit 0 when every file is
 * valid, 1 when any is invalid (or, with `--strict`, uses a node type the target does not run), 2
 * when a file cannot be read or the target is unknown.
 */
export async function validateCommand(files: string[], options: ValidateOptions, io: Io): Promise<number> {
  const target = options.target ?? 'local';
  if (!(DEPLOYMENTS as string[]).includes(target)) {
    io.err(`skein: --target must be one of ${DEPLOYMENTS.join(', ')}, got "${target}"`);
    return EXIT.usage;
  }
  const types = NODE_TYPES_RUN[target as Deployment];
  const where = target === 'local' ? 'local Skein (skein run, npm start)' : 'Skein on AWS';
  const results: FileResult[] = [];
  let unreadable = false;
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      io.err(`skein: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
      unreadable = true;
      continue;
    }
    const { valid, errors, order, definition } = validateSource(text, sourceFormatOf(file));
    const warnings = definition ? unavailableNodeTypes(definition, types, where) : [];
    if (options.strict && warnings.length > 0) {
      results.push({ file, valid: false, errors: warnings, order: [] });
    } else {
      results.push({ file, valid, errors, order, ...(warnings.length > 0 && { warnings }) });
    }
  }
  if (options.json) {
    io.out(JSON.stringify(files.length === 1 && results.length === 1 ? results[0] : results, null, 2));
  } else {
    for (const result of results) io.out(formatResult(result));
  }
  if (unreadable) return EXIT.usage;
  return results.every((r) => r.valid) ? EXIT.ok : EXIT.failed;
}

/** One line per problem with its path, then the levels. */
export function formatResult(result: FileResult): string {
  if (!result.valid) {
    const lines = result.errors.map((e) => `  ${e.code.padEnd(15)} ${e.path}  ${e.message}`);
    return [`✗ ${result.file}: ${result.errors.length} problem(s)`, ...lines].join('\n');
  }
  const levels = result.order.map((level, i) => `  level ${i}: ${level.join(', ')}`);
  const nodes = result.order.reduce((n, level) => n + level.length, 0);
  const warnings = (result.warnings ?? []).map((w) => `  ⚠ ${w.code} ${w.path}  ${w.message}`);
  return [
    `✓ ${result.file}: valid, ${nodes} node(s) in ${result.order.length} level(s)`,
    ...levels,
    ...warnings,
  ].join('\n');
}

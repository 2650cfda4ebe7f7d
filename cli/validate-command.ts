import { readFile } from 'node:fs/promises';
import type { Problem } from '../shared/domain/problems.ts';
import { sourceFormatOf } from '../shared/domain/source.ts';
import { validateSource } from '../shared/domain/validate.ts';
import { EXIT, type Io } from './io.ts';

export interface FileResult {
  readonly file: string;
  readonly valid: boolean;
  readonly errors: Problem[];
  readonly order: string[][];
}

/**
 * `skein validate FILE... [--json]`: exit 0 when every file is valid, 1 when any is invalid, 2 when
 * a file cannot be read.
 */
export async function validateCommand(files: string[], options: { json?: boolean }, io: Io): Promise<number> {
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
    const { valid, errors, order } = validateSource(text, sourceFormatOf(file));
    results.push({ file, valid, errors, order });
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
  return [`✓ ${result.file}: valid, ${nodes} node(s) in ${result.order.length} level(s)`, ...levels].join(
    '\n',
  );
}

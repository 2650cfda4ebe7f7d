import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { CliError, refusalOf, send, tenantPath } from './api-client.ts';
import { EXIT, type Io } from './io.ts';
import { type RunsOptions, withApi } from './runs-command.ts';

export interface GenerateOptions extends RunsOptions {
  readonly model?: string;
  readonly format?: string;
  readonly out?: string;
  readonly force?: boolean;
}

interface Generated {
  readonly definition: string;
  readonly format: 'yaml' | 'json';
  readonly rounds: number;
  readonly model: string;
}

/**
 * `skein generate "PROMPT" [--model M] [--format yaml|json] [--out FILE]`: asks the API's model
 * for a definition (`POST .../generate`) and prints or writes it. It is not published: review it,
 * then `skein workflows publish FILE`. Exit 1 when the model gave no valid definition or the API
 * has no model (501), 2 for usage errors.
 */
export function generateCommand(prompt: string, options: GenerateOptions, io: Io): Promise<number> {
  return withApi(options, io, async (target) => {
    if (options.format !== undefined && options.format !== 'yaml' && options.format !== 'json') {
      throw new CliError(`--format must be yaml or json, got "${options.format}"`, EXIT.usage);
    }
    if (options.out !== undefined && existsSync(options.out) && !options.force) {
      throw new CliError(`${options.out} exists; pass --force to replace it`, EXIT.usage);
    }
    const format = options.format ?? (options.out?.toLowerCase().endsWith('.json') ? 'json' : undefined);
    const body = {
      prompt,
      ...(options.model !== undefined && { model: options.model }),
      ...(format !== undefined && { format }),
    };
    const answer = await send(target, 'POST', `${tenantPath(target)}/generate`, body);
    if (answer.status !== 200) {
      const errors = (answer.json as { error?: { errors?: { path: string; message: string }[] } } | undefined)
        ?.error?.errors;
      for (const problem of Array.isArray(errors) ? errors.slice(1) : []) {
        io.err(`  ${problem.path}: ${problem.message}`);
      }
      throw new CliError(refusalOf(answer));
    }
    const generated = answer.json as Generated;
    if (options.json) io.out(JSON.stringify(generated));
    else if (options.out === undefined) io.out(generated.definition.trimEnd());
    if (options.out !== undefined) await writeFile(options.out, generated.definition);
    const where = options.out === undefined ? '' : `Wrote ${options.out}: `;
    io.err(
      `${where}valid after ${generated.rounds} round${generated.rounds === 1 ? '' : 's'} (model ${generated.model}); not published: review it, then skein workflows publish FILE`,
    );
  });
}

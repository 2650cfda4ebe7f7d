import type { Command } from 'commander';
import { processIo } from './io.ts';

/** Commander reducer for repeatable options. */
const collect = (value: string, previous: string[]) => [...previous, value];

/**
 * Registers `skein templates`, `skein new` (both offline) and `skein generate` (through the API);
 * each command imports its module only when it runs.
 */
export function registerTemplateCommands(program: Command): void {
  program
    .command('templates')
    .description('List the built-in workflow templates and their variables (offline)')
    .option('--json', 'print the templates as JSON')
    .action(async (options: { json?: boolean }) => {
      const { templatesCommand } = await import('./new-command.ts');
      process.exitCode = templatesCommand(options, processIo);
    });

  program
    .command('new')
    .description('Write a workflow definition from a built-in template (offline; see skein templates)')
    .requiredOption('--template <id>', 'the template id')
    .option(
      '--var <name=value>',
      'a template variable; non-string values are read as JSON (repeatable)',
      collect,
      [],
    )
    .option('--workflow <id>', 'the workflow id (default: the template id)')
    .option('--version <version>', 'the version in the file', '1.0.0')
    .option('--out <file>', 'write here (.json: JSON, else YAML) instead of printing')
    .option('--force', 'replace --out if it exists')
    .action(async (options: import('./new-command.ts').NewOptions) => {
      const { newCommand } = await import('./new-command.ts');
      process.exitCode = await newCommand(options, processIo);
    });

  program
    .command('generate')
    .description(
      "Write a workflow definition from a prompt with the API's model (validated, never published)",
    )
    .argument('<prompt>', 'what the workflow should do')
    .option('--model <model>', "the model (default: the deployment's)")
    .option('--format <format>', 'yaml (default) or json')
    .option('--out <file>', 'write the definition here instead of printing it')
    .option('--force', 'replace --out if it exists')
    .option('--api <url>', 'the Skein API (default: SKEIN_API, else the `npm start` running on --data-dir)')
    .option('--key <key>', 'an API key (default: SKEIN_KEY, else that npm start’s demo key)')
    .option('--tenant <tenant>', 'the tenant (default: SKEIN_TENANT, else demo)')
    .option('--data-dir <dir>', 'the data folder of a running npm start', '.skein')
    .option('--json', 'print {definition, format, rounds, valid, model}')
    .action(async (prompt: string, options: import('./generate-command.ts').GenerateOptions) => {
      const { generateCommand } = await import('./generate-command.ts');
      process.exitCode = await generateCommand(prompt, options, processIo);
    });
}

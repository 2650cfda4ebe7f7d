import { Command, CommanderError } from 'commander';
import { silenceSdkNodeVersionNotice } from '../shared/config.ts';
import { EXIT, processIo } from './io.ts';
import type { KeysCreateOptions, KeysOptions } from './keys-command.ts';
import type { RunCommandOptions } from './run-options.ts';

silenceSdkNodeVersionNotice();

const program = new Command('skein')
  .description('Skein: versioned DAG workflows on AWS, runnable on one machine.')
  .exitOverride()
  .configureOutput({ writeErr: (text) => process.stderr.write(text) });

program
  .command('validate')
  .description('Validate workflow definitions (YAML or JSON) and print their execution order')
  .argument('<files...>', 'definition files; .json is read as JSON, anything else as YAML')
  .option('--json', 'print {file, valid, errors, order, warnings?} per file (an array for several files)')
  .option(
    '--target <deployment>',
    'check node types against what this deployment runs: local or aws',
    'local',
  )
  .option('--strict', 'a node type the target does not run is an error, not a warning')
  .action(async (files: string[], options: { json?: boolean; target?: string; strict?: boolean }) => {
    const { validateCommand } = await import('./validate-command.ts');
    process.exitCode = await validateCommand(files, options, processIo);
  });

program
  .command('run')
  .description('Run a workflow file once, in-process or on a Skein API, printing node events and its outputs')
  .argument('<file>', 'definition file; .json is read as JSON, anything else as YAML')
  .option(
    '--input <key=value>',
    'a run input, the value read as JSON when it parses (repeatable)',
    collect,
    [],
  )
  .option('--inputs-json <json>', 'run inputs as one JSON object; --input values override it')
  .option('--json', 'print only {runId, status, outputs, nodes} as one JSON document')
  .option('--store <store>', 'in-process store: memory (default) or local (DynamoDB Local + fauxqs)')
  .option('--api <url>', 'run on a Skein API instead of in-process (needs --key)')
  .option('--key <key>', 'an API key for --api')
  .option('--tenant <tenant>', 'the tenant to run as', 'demo')
  .option('--version <version>', "the version to publish (default: the file's, else 0.0.0-local)")
  .option(
    '--allow-http <host:port>',
    'a host:port http nodes may call although it is private, such as localhost:9000 (repeatable; also SKEIN_HTTP_ALLOW)',
    collect,
    [],
  )
  .action(async (file: string, options: RunCommandOptions) => {
    const { runCommand } = await import('./run-command.ts');
    process.exitCode = await runCommand(file, options, processIo);
  });

const keys = program
  .command('keys')
  .description(
    'Manage API keys: in the local store (default), a deployed stack (--aws-table) or through an API (--api --key)',
  );
/** The flags every `keys` command takes: the tenant, the output, and where the keys are. */
const keysCommand = (name: string, description: string) =>
  keys
    .command(name)
    .description(description)
    .requiredOption('--tenant <tenant>', 'the tenant the keys belong to')
    .option('--json', 'print JSON')
    .option('--data-dir <dir>', 'the local data folder', '.skein')
    .option(
      '--aws-table <table>',
      "a deployed stack's control table (output ControlTableName); uses your AWS credentials",
    )
    .option('--region <region>', 'AWS region of --aws-table (default: your AWS configuration)')
    .option('--api <url>', 'go through a Skein API instead of a store (needs --key)')
    .option('--key <key>', "one of the tenant's API keys, for --api");

keysCommand('create', 'Create an API key for a tenant and print it once (only its hash is stored)')
  .option('--label <label>', 'a note kept with the key (who or what uses it)')
  .action(async (options: KeysCreateOptions) => {
    const { keysCreateCommand } = await import('./keys-command.ts');
    process.exitCode = await keysCreateCommand(options, processIo);
  });
keysCommand('list', "List a tenant's API keys: id, created, last used, label (never the keys)").action(
  async (options: KeysOptions) => {
    const { keysListCommand } = await import('./keys-command.ts');
    process.exitCode = await keysListCommand(options, processIo);
  },
);
keysCommand('revoke', 'Revoke an API key by its id: at once locally, within 30 s on AWS')
  .argument('<keyId>', 'the id `skein keys list` shows')
  .action(async (keyId: string, options: KeysOptions) => {
    const { keysRevokeCommand } = await import('./keys-command.ts');
    process.exitCode = await keysRevokeCommand(keyId, options, processIo);
  });

/** Commander reducer for repeatable options. */
function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // Help and version end with exit code 0; every other parse error is a usage error.
    process.exitCode = error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  } else {
    processIo.err(`skein: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = EXIT.usage;
  }
}

import { Command, CommanderError } from 'commander';
import { silenceSdkNodeVersionNotice } from '../shared/config.ts';
import { EXIT, processIo } from './io.ts';
import type { KeysCreateOptions, KeysOptions } from './keys-command.ts';
import type { RunCommandOptions } from './run-options.ts';
import type { RunsOptions } from './runs-command.ts';
import { registerTemplateCommands } from './template-commands.ts';

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
  .option(
    '--store <store>',
    'in-process store: memory (default), local (the embedded SQLite store, a throw-away file) or dynamodb (DynamoDB Local + fauxqs)',
  )
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

/** The flags of every command that talks to a Skein API. */
const apiCommand = (parent: Command, name: string, description: string) =>
  parent
    .command(name)
    .description(description)
    .option('--api <url>', 'the Skein API (default: SKEIN_API, else the `npm start` running on --data-dir)')
    .option('--key <key>', 'an API key (default: SKEIN_KEY, else that npm start’s demo key)')
    .option('--tenant <tenant>', 'the tenant (default: SKEIN_TENANT, else demo)')
    .option('--data-dir <dir>', 'the data folder of a running npm start', '.skein')
    .option('--json', 'print JSON');

const runs = program.command('runs').description('List, read, watch and control runs on a Skein API');
apiCommand(runs, 'list', 'List runs, newest first')
  .option('--workflow <id>', 'only runs of this workflow')
  .option('--status <status>', 'only runs in this status (RUNNING, FAILED, ...)')
  .option('--limit <n>', 'runs per page (1 to 100)')
  .option('--cursor <cursor>', 'the next page, as the previous one said')
  .action(
    async (
      options: RunsOptions & { workflow?: string; status?: string; limit?: string; cursor?: string },
    ) => {
      const { runsListCommand } = await import('./runs-command.ts');
      process.exitCode = await runsListCommand(options, processIo);
    },
  );
apiCommand(runs, 'get', 'Show a run: status, progress, every node, outputs')
  .argument('<run>', 'the run id')
  .action(async (runId: string, options: RunsOptions) => {
    const { runsGetCommand } = await import('./runs-command.ts');
    process.exitCode = await runsGetCommand(runId, options, processIo);
  });
apiCommand(
  runs,
  'watch',
  'Follow a run until it ends, redrawing its nodes and a progress bar (exit 1 unless it SUCCEEDED)',
)
  .argument('<run>', 'the run id')
  .option('--interval <ms>', 'how often to read the run', '500')
  .action(async (runId: string, options: RunsOptions & { interval?: string }) => {
    const { runsWatchCommand } = await import('./runs-command.ts');
    process.exitCode = await runsWatchCommand(runId, options, processIo);
  });
apiCommand(
  runs,
  'logs',
  'Show what a script node printed (console.* in JavaScript, print in Lua) in one attempt',
)
  .argument('<run>', 'the run id')
  .argument('<node>', 'the node id')
  .option('--attempt <n>', 'the attempt (default: the latest)')
  .action(async (runId: string, nodeId: string, options: RunsOptions & { attempt?: string }) => {
    const { runsLogsCommand } = await import('./logs-command.ts');
    process.exitCode = await runsLogsCommand(runId, nodeId, options, processIo);
  });
for (const action of ['pause', 'resume', 'cancel'] as const) {
  apiCommand(runs, action, `${action[0]?.toUpperCase()}${action.slice(1)} a run`)
    .argument('<run>', 'the run id')
    .action(async (runId: string, options: RunsOptions) => {
      const { runsControlCommand } = await import('./runs-command.ts');
      process.exitCode = await runsControlCommand(action, runId, options, processIo);
    });
}
apiCommand(runs, 'retry', 'Retry a failed, cancelled or timed-out run (every failed node, or the ones named)')
  .argument('<run>', 'the run id')
  .option('--node <id>', 'a node to rerun, with what follows it (repeatable)', collect, [])
  .action(async (runId: string, options: RunsOptions & { node?: string[] }) => {
    const { runsRetryCommand } = await import('./runs-command.ts');
    process.exitCode = await runsRetryCommand(runId, options, processIo);
  });
apiCommand(
  program,
  'complete',
  'Complete a node waiting for an outside completion (a callback, or a callback item such as approve[3])',
)
  .argument('<run>', 'the run id')
  .argument('<node>', 'the node id')
  .requiredOption('--token <token>', 'the token the waiting node shows')
  .option('--output <json>', 'the output: the node succeeds (JSON, else taken as a string)')
  .option('--error <code[:message]>', 'the error: the node fails')
  .action(
    async (
      runId: string,
      nodeId: string,
      options: RunsOptions & { token: string; output?: string; error?: string },
    ) => {
      const { completeCommand } = await import('./runs-command.ts');
      process.exitCode = await completeCommand(runId, nodeId, options, processIo);
    },
  );

const workflows = program
  .command('workflows')
  .description('List, publish and compare workflow versions on a Skein API');
apiCommand(workflows, 'list', "List the tenant's workflows").action(async (options: RunsOptions) => {
  const { workflowsListCommand } = await import('./workflows-command.ts');
  process.exitCode = await workflowsListCommand(options, processIo);
});
apiCommand(workflows, 'versions', "List a workflow's versions, newest first")
  .argument('<workflow>', 'the workflow id')
  .action(async (workflowId: string, options: RunsOptions) => {
    const { workflowsVersionsCommand } = await import('./workflows-command.ts');
    process.exitCode = await workflowsVersionsCommand(workflowId, options, processIo);
  });
apiCommand(workflows, 'publish', 'Publish a definition file (YAML or JSON) as a new version')
  .argument('<file>', 'the definition file')
  .option('--workflow <id>', "the workflow id (default: the file's id, else its name)")
  .option('--version <version>', "the version (default: the file's version)")
  .action(async (file: string, options: RunsOptions & { workflow?: string; version?: string }) => {
    const { workflowsPublishCommand } = await import('./workflows-command.ts');
    process.exitCode = await workflowsPublishCommand(file, options, processIo);
  });
apiCommand(workflows, 'diff', 'Show what changed between two versions, as a unified diff of their YAML')
  .argument('<workflow>', 'the workflow id')
  .argument('<from>', 'the older version')
  .argument('<to>', 'the newer version (or latest)')
  .action(async (workflowId: string, from: string, to: string, options: RunsOptions) => {
    const { workflowsDiffCommand } = await import('./workflows-command.ts');
    process.exitCode = await workflowsDiffCommand(workflowId, from, to, options, processIo);
  });

registerTemplateCommands(program);

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

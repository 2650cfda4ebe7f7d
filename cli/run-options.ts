import { basename, extname } from 'node:path';
import { parseJsonBounded } from '../shared/domain/bounded-parse.ts';
import { WORKFLOW_ID } from '../shared/domain/definition-schema.ts';
import { parseHttpAllow } from '../shared/executors/http-allow.ts';

/** The options of `skein run`, as commander parses them. */
export interface RunCommandOptions {
  readonly input?: string[];
  readonly inputsJson?: string;
  readonly json?: boolean;
  readonly store?: string;
  readonly api?: string;
  readonly key?: string;
  readonly tenant?: string;
  readonly version?: string;
  /** `--allow-http host:port`, repeatable: destinations http nodes may call in-process. */
  readonly allowHttp?: string[];
}

/** Thrown for a usage mistake: printed as `skein: message`, exit 2. */
export class UsageError extends Error {}

/** Checks the flags of `skein run` and returns the run inputs they give; throws `UsageError`. */
export function parseRunFlags(options: RunCommandOptions): Record<string, unknown> {
  checkFlags(options);
  return parseInputs(options.input ?? [], options.inputsJson);
}

function checkFlags(options: RunCommandOptions): void {
  const { store, api, key } = options;
  if (api !== undefined && (options.allowHttp ?? []).length > 0) {
    throw new UsageError('--allow-http is for in-process runs; the server at --api has its own allow-list');
  }
  try {
    parseHttpAllow(options.allowHttp ?? []);
  } catch (error) {
    throw new UsageError(`--allow-http: ${(error as Error).message}`);
  }
  if (store !== undefined && store !== 'memory' && store !== 'local' && store !== 'dynamodb') {
    throw new UsageError(`unknown --store "${store}": use memory, local or dynamodb`);
  }
  if (api !== undefined && store !== undefined) {
    throw new UsageError('--store runs in-process and --api runs on an API: give one of them');
  }
  if (api !== undefined && !key) throw new UsageError('--api needs --key KEY, an API key of the tenant');
  if (key !== undefined && api === undefined) throw new UsageError('--key goes with --api URL');
  if (api !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(api);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
      throw new UsageError(`--api must be an http(s) URL such as http://localhost:8080, got "${api}"`);
    }
  }
}

/**
 * The run inputs: `--inputs-json` first, then each `--input key=value` over it. A value that parses
 * as JSON (`5`, `true`, `{"a":1}`) is that value, anything else is a string.
 */
export function parseInputs(pairs: readonly string[], json: string | undefined): Record<string, unknown> {
  let inputs: Record<string, unknown> = {};
  if (json !== undefined) {
    const parsed = parseJsonBounded(json);
    if (!parsed.ok) {
      const { code, message } = parsed.problem;
      throw new UsageError(
        code === 'LIMIT'
          ? `--inputs-json: ${message}`
          : `--inputs-json is not valid JSON: ${message.replace(/^invalid JSON: /, '')}`,
      );
    }
    const value = parsed.value;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new UsageError('--inputs-json must be a JSON object of name → value, such as {"name":"world"}');
    }
    inputs = { ...(value as Record<string, unknown>) };
  }
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new UsageError(`--input "${pair}" must be key=value, such as --input name=world`);
    const raw = pair.slice(at + 1);
    const parsed = parseJsonBounded(raw);
    if (!parsed.ok && parsed.problem.code === 'LIMIT') {
      throw new UsageError(`--input "${pair.slice(0, at)}": ${parsed.problem.message}`);
    }
    inputs[pair.slice(0, at)] = parsed.ok ? parsed.value : raw;
  }
  return inputs;
}

/** A workflow id from a file name: `Order_Pipeline.yaml` → `order-pipeline`. */
export function workflowIdOf(file: string): string {
  const id = basename(file, extname(file))
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 80);
  return WORKFLOW_ID.test(id) ? id : 'workflow';
}

import { z } from 'zod';
import { type InputDefinition, WORKFLOW_ID, type WorkflowDefinition } from './definition-schema.ts';
import { type PathSegment, type Problem, SkeinError, toJsonPath } from './problems.ts';
import { resolveRunInputs } from './run-inputs.ts';
import { didYouMean } from './suggest.ts';
import { cronSpecOf, triggerBodySchema } from './trigger-spec.ts';
import { validateDefinition } from './validate.ts';
import { assertPublishableVersion } from './versions.ts';

/**
 * A built-in workflow template: a definition with `${name}` placeholders and the typed variables
 * that fill them, declared like a definition's run inputs (type, required, default, enum,
 * description) and checked by the same code (`resolveRunInputs`). A template's triggers are
 * filled in and declared in the definition's `triggers:` (publishing creates them); its
 * subscriptions are suggestions, returned filled in for the author to create with
 * `PUT .../subscriptions/{id}` (a definition cannot hold them).
 */
export interface WorkflowTemplate {
  readonly id: string;
  readonly title: string;
  readonly description: string;
  readonly variables: Readonly<Record<string, InputDefinition>>;
  /** The definition, without `id` and `version` (instantiating sets them). */
  readonly definition: Readonly<Record<string, unknown>>;
  /** Triggers (bodies of `PUT .../triggers/{id}`), declared in the filled definition's `triggers:`. */
  readonly triggers?: readonly Suggestion[];
  readonly subscriptions?: readonly Suggestion[];
}

/** A trigger or subscription to create with the workflow: its id and the body of its `PUT`. */
export interface Suggestion {
  readonly id: string;
  readonly body: Readonly<Record<string, unknown>>;
}

export interface InstantiateRequest {
  /** The workflow id the definition gets (also `${workflow}` in suggestions). @default the template's id */
  readonly workflow?: string | undefined;
  /** @default '1.0.0' */
  readonly version?: string | undefined;
  readonly variables?: unknown;
}

export interface Instance {
  readonly workflow: string;
  readonly version: string;
  /** Valid: it passed `validateDefinition`; the template's triggers are in its `triggers:`. */
  readonly definition: WorkflowDefinition & Record<string, unknown>;
  /** Every variable's value, defaults included. */
  readonly variables: Record<string, unknown>;
  readonly subscriptions: Suggestion[];
}

/** The placeholder every template may use besides its variables: the workflow id. */
const BUILT_IN = 'workflow';
/** `${name}`, or `$${name}` which stays as the text `${name}`. */
const PLACEHOLDER = /(\$?)\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;
const WHOLE = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/;

/**
 * The template filled with checked variables: a definition that passes validation, and the
 * suggested triggers and subscriptions. A variable of the wrong type, a missing required one, a
 * value outside its enum, an unknown name, or a value that makes the definition or a suggestion
 * invalid is a 422 `INVALID_VARIABLES` at `$.variables.<name>`.
 * @example instantiateTemplate(template, { variables: { schedule: '0 3 * * *' } }).definition
 */
export function instantiateTemplate(template: WorkflowTemplate, request: InstantiateRequest): Instance {
  const resolved = resolveRunInputs({ inputs: { ...template.variables } }, request.variables);
  if (!resolved.ok) throw variablesError(resolved.problems.map(asVariableProblem));
  const workflow = request.workflow ?? template.id;
  const version = request.version ?? '1.0.0';
  checkTarget(workflow, version);
  const values = { ...resolved.inputs, [BUILT_IN]: workflow };

  const origins = new Map<string, string[]>();
  const filled = substitute({ id: workflow, version, ...template.definition }, values, [], origins) as Record<
    string,
    unknown
  >;
  const validation = validateDefinition(filled);
  if (!validation.valid) throw variablesError(blame(validation.errors, origins, 'the definition'));

  const triggers = (template.triggers ?? []).map((s, i) => fill(s, values, ['triggers', i], origins));
  const subscriptions = (template.subscriptions ?? []).map((s, i) =>
    fill(s, values, ['subscriptions', i], origins),
  );
  const suggestionProblems = [
    ...triggers.flatMap((t, i) => triggerProblems(t, i)),
    ...subscriptions.flatMap((s, i) => subscriptionProblems(s, i)),
  ];
  if (suggestionProblems.length > 0) {
    throw variablesError(blame(suggestionProblems, origins, 'a suggested trigger or subscription'));
  }
  // The triggers become the definition's own `triggers:` (they run the workflow being published).
  const definition =
    triggers.length === 0
      ? filled
      : {
          ...filled,
          triggers: Object.fromEntries(
            triggers.map(({ id, body: { workflow: _w, version: _v, ...rest } }) => [id, rest]),
          ),
        };
  const declared = validateDefinition(definition);
  if (!declared.valid) throw variablesError(blame(declared.errors, origins, 'the definition'));
  return {
    workflow,
    version,
    definition: definition as Instance['definition'],
    variables: resolved.inputs,
    subscriptions,
  };
}

/** The workflow id and version, checked before anything else: their own errors, at `$.workflow` and `$.version`. */
function checkTarget(workflow: string, version: string): void {
  if (!WORKFLOW_ID.test(workflow)) {
    throw new SkeinError(
      'INVALID_WORKFLOW_ID',
      `"${workflow}" is not a workflow id: use lowercase letters, digits and "-", starting with a letter or digit (at most 80)`,
      'invalid',
      '$.workflow',
    );
  }
  try {
    assertPublishableVersion(version);
  } catch (error) {
    if (!(error instanceof SkeinError)) throw error;
    throw new SkeinError(error.code, error.message, error.kind, '$.version');
  }
}

/** The template with this id, or a 404 `TEMPLATE_NOT_FOUND` naming the ones there are. */
export function findTemplate(templates: readonly WorkflowTemplate[], id: string): WorkflowTemplate {
  const found = templates.find((template) => template.id === id);
  if (found) return found;
  const ids = templates.map((template) => template.id);
  throw new SkeinError(
    'TEMPLATE_NOT_FOUND',
    `no template "${id}"${didYouMean(id, ids)}; the templates are: ${ids.join(', ')}`,
    'not_found',
  );
}

/** The names of the placeholders a value uses (to check a template declares them all). */
export function placeholdersOf(value: unknown): Set<string> {
  const names = new Set<string>();
  const visit = (v: unknown): void => {
    if (typeof v === 'string') {
      for (const m of v.matchAll(PLACEHOLDER)) if (!m[1] && m[2]) names.add(m[2]);
    } else if (Array.isArray(v)) v.forEach(visit);
    else if (v !== null && typeof v === 'object') Object.values(v).forEach(visit);
  };
  visit(value);
  return names;
}

function fill(
  suggestion: Suggestion,
  values: Record<string, unknown>,
  at: PathSegment[],
  origins: Map<string, string[]>,
): Suggestion {
  const id = substitute(suggestion.id, values, [...at, 'id'], origins);
  const body = substitute(suggestion.body, values, [...at, 'body'], origins);
  return { id: String(id), body: body as Record<string, unknown> };
}

/**
 * Replaces placeholders: a string that is one placeholder becomes the variable's value with its
 * type (an integer stays an integer); inside a longer string a value is written as text. Only
 * declared names are replaced, so a script's own `${...}` is left alone. Records, per JSON path
 * of a replaced value, which variables it came from.
 */
function substitute(
  value: unknown,
  values: Record<string, unknown>,
  path: PathSegment[],
  origins: Map<string, string[]>,
): unknown {
  if (Array.isArray(value)) return value.map((v, i) => substitute(v, values, [...path, i], origins));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, substitute(v, values, [...path, k], origins)]),
    );
  }
  if (typeof value !== 'string') return value;
  const whole = WHOLE.exec(value)?.[1];
  if (whole !== undefined && Object.hasOwn(values, whole)) {
    origins.set(toJsonPath(path), [whole]);
    return structuredClone(values[whole]);
  }
  const used: string[] = [];
  const text = value.replace(PLACEHOLDER, (match, escaped: string, name: string) => {
    if (escaped) return match.slice(1);
    if (!Object.hasOwn(values, name)) return match;
    used.push(name);
    const v = values[name];
    return typeof v === 'string' ? v : JSON.stringify(v);
  });
  if (used.length > 0) origins.set(toJsonPath(path), used);
  return text;
}

/** Problems found after substitution, moved to the variable that caused each, when one did. */
function blame(problems: readonly Problem[], origins: Map<string, string[]>, what: string): Problem[] {
  return problems.map((problem) => {
    for (const [path, names] of origins) {
      const within =
        problem.path === path || problem.path.startsWith(`${path}.`) || problem.path.startsWith(`${path}[`);
      const name = names.find((n) => n !== BUILT_IN);
      if (within && name !== undefined) {
        const message = `variable "${name}" makes ${what} invalid at ${problem.path}: ${problem.message}`;
        return { ...problem, path: toJsonPath(['variables', name]), message };
      }
    }
    return { ...problem, message: `${what} is invalid at ${problem.path}: ${problem.message}` };
  });
}

function triggerProblems(trigger: Suggestion, index: number): Problem[] {
  const base: PathSegment[] = ['triggers', index, 'body'];
  const parsed = triggerBodySchema.safeParse(trigger.body);
  if (!parsed.success) return zodProblems(parsed.error, base);
  if (parsed.data.type !== 'cron') return [];
  try {
    cronSpecOf(parsed.data);
    return [];
  } catch (error) {
    if (!(error instanceof SkeinError)) throw error;
    const path = toJsonPath([
      ...base,
      ...(error.path ?? '$')
        .replace(/^\$\.?/, '')
        .split('.')
        .filter(Boolean),
    ]);
    return [{ code: 'SCHEMA', message: error.message, path }];
  }
}

const subscriptionSchema = z.object({
  endpoint: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('email'), address: z.email({ error: 'expected an e-mail address' }) }),
    z.object({ kind: z.literal('https'), url: z.url({ error: 'expected an https URL' }) }),
  ]),
});

function subscriptionProblems(subscription: Suggestion, index: number): Problem[] {
  const parsed = subscriptionSchema.safeParse(subscription.body);
  return parsed.success ? [] : zodProblems(parsed.error, ['subscriptions', index, 'body']);
}

function zodProblems(error: z.ZodError, base: PathSegment[]): Problem[] {
  return error.issues.map((issue) => ({
    code: 'SCHEMA',
    message: issue.message,
    path: toJsonPath([...base, ...(issue.path as PathSegment[])]),
  }));
}

function asVariableProblem(problem: Problem): Problem {
  const path = problem.path.replace(/^\$\.inputs/, '$.variables');
  const message = problem.message
    .replace(/\binput\b/g, 'variable')
    .replace('declared inputs', 'declared variables')
    .replace('this workflow declares no inputs', 'this template declares no variables')
    .replace('the run inputs', 'the variables');
  return { ...problem, path, message };
}

/** The 422 of bad variables: the first problem in the message and its path, every one in `details`. */
function variablesError(problems: readonly Problem[]): SkeinError {
  const [first] = problems;
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : '';
  return new SkeinError(
    'INVALID_VARIABLES',
    first
      ? `invalid template variables: ${first.path}: ${first.message}${more}`
      : 'invalid template variables',
    'unprocessable',
    first?.path ?? '$.variables',
    [...problems],
  );
}

import fc from 'fast-check';

/**
 * Valid workflow definitions that run: a DAG of nodes (each needs only earlier ones) that end
 * quickly, fail, wait long enough to be paused and cancelled, branch, call a forbidden address
 * (the canary: any request it receives is an SSRF), or run hostile scripts under a short timeout.
 */
export interface GeneratedWorkflow {
  readonly id: string;
  readonly version: string;
  readonly definition: Record<string, unknown>;
  /** Inputs a start may send: every required input with a value of its type. */
  readonly inputs: Record<string, unknown>;
  readonly nodeIds: readonly string[];
}

export const workflowIdArb = fc.stringMatching(/^fz-[a-z0-9]{3,8}$/);
export const versionArb = fc
  .tuple(
    fc.nat({ max: 3 }),
    fc.nat({ max: 5 }),
    fc.nat({ max: 9 }),
    fc.option(fc.constantFrom('rc.1', 'beta', 'alpha.0')),
  )
  .map(([major, minor, patch, pre]) => `${major}.${minor}.${patch}${pre ? `-${pre}` : ''}`);

type InputType = 'string' | 'number' | 'integer' | 'boolean' | 'object' | 'array';
const VALUES: Record<InputType, fc.Arbitrary<unknown>> = {
  string: fc.string({ maxLength: 12 }),
  number: fc.double({ min: -1e6, max: 1e6, noNaN: true }),
  integer: fc.integer({ min: -1000, max: 1000 }),
  boolean: fc.boolean(),
  object: fc.dictionary(fc.stringMatching(/^[a-z]{1,6}$/), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }),
  array: fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 3 }),
};

interface InputPlan {
  readonly declaration: Record<string, unknown>;
  readonly value: unknown;
  readonly required: boolean;
}

const inputArb: fc.Arbitrary<InputPlan> = fc
  .constantFrom<InputType>('string', 'number', 'integer', 'boolean', 'object', 'array')
  .chain((type) =>
    fc.record({ required: fc.boolean(), value: VALUES[type], withDefault: fc.boolean() }).map((plan) => ({
      declaration: {
        type,
        ...(plan.required && { required: true }),
        ...(!plan.required && plan.withDefault && { default: plan.value }),
      },
      value: plan.value,
      required: plan.required,
    })),
  );

/** Scripts that misbehave inside the sandbox; each node gets a short timeout. */
const HOSTILE_SCRIPTS: ReadonlyArray<readonly [language: 'js' | 'lua', code: string]> = [
  ['js', 'while (true) {}'],
  ['js', 'const a = []; for (;;) a.push("x".repeat(1e6));'],
  ['js', 'let o = {}; for (let i = 0; i < 2000; i++) o = { o }; return o;'],
  ['js', 'return "x".repeat(300000);'],
  ['js', 'function f() { return f(); } return f();'],
  ['js', 'throw { toString() { throw new Error("inner"); } };'],
  ['js', 'return () => 1;'],
  ['js', 'return new Proxy({}, { get() { throw new Error("trap"); } });'],
  ['js', 'return globalThis.process?.env ?? typeof require;'],
  ['js', 'const o = {}; o.self = o; return o;'],
  ['lua', 'while true do end'],
  ['lua', 'return os and os.getenv("HOME") or io'],
  ['lua', 'local t = {} for i = 1, 1e8 do t[i] = i end return t'],
];

type NodeKind =
  | 'noop'
  | 'waitShort'
  | 'waitLong'
  | 'scriptOk'
  | 'scriptFail'
  | 'condition'
  | 'canary'
  | 'hostile';
const nodeKindArb = fc.oneof(
  { arbitrary: fc.constant<NodeKind>('noop'), weight: 6 },
  { arbitrary: fc.constant<NodeKind>('waitShort'), weight: 2 },
  { arbitrary: fc.constant<NodeKind>('waitLong'), weight: 2 },
  { arbitrary: fc.constant<NodeKind>('scriptOk'), weight: 1 },
  { arbitrary: fc.constant<NodeKind>('scriptFail'), weight: 2 },
  { arbitrary: fc.constant<NodeKind>('condition'), weight: 1 },
  { arbitrary: fc.constant<NodeKind>('canary'), weight: 1 },
  { arbitrary: fc.constant<NodeKind>('hostile'), weight: 1 },
);

/** Addresses of the canary written the ways an SSRF filter must see through. */
export function canaryUrls(port: number): string[] {
  return [
    `http://127.0.0.1:${port}/ssrf`,
    `http://localhost:${port}/ssrf`,
    `http://[::1]:${port}/ssrf`,
    `http://[::ffff:127.0.0.1]:${port}/ssrf`,
    `http://2130706433:${port}/ssrf`,
    `http://0x7f000001:${port}/ssrf`,
    `http://127.1:${port}/ssrf`,
    `http://0.0.0.0:${port}/ssrf`,
    `http://user:pw@127.0.0.1:${port}/ssrf`,
    'http://169.254.169.254/latest/meta-data/',
  ];
}

function nodeOf(kind: NodeKind, pick: number, canaryPort: number): Record<string, unknown> {
  switch (kind) {
    case 'noop':
      return { type: 'noop' };
    case 'waitShort':
      return { type: 'wait', with: { seconds: pick % 2 } };
    case 'waitLong':
      return { type: 'wait', with: { seconds: 600 } };
    case 'scriptOk':
      return { type: 'script', language: 'js', code: 'return { n: ctx.attempt };', timeout: '5s' };
    case 'scriptFail':
      return {
        type: 'script',
        language: pick % 2 === 0 ? 'js' : 'lua',
        code: pick % 2 === 0 ? 'throw new Error("planned failure")' : 'error("planned failure")',
        retry: { maxAttempts: 1 + (pick % 2), initialDelay: '100ms' },
        timeout: '5s',
      };
    case 'condition':
      return { type: 'condition', if: '{% $count($keys($inputs)) > 0 %}' };
    case 'canary': {
      const urls = canaryUrls(canaryPort);
      return {
        type: 'http',
        with: { url: urls[pick % urls.length], timeout: '2s' },
        retry: { maxAttempts: 1 },
      };
    }
    case 'hostile': {
      const [language, code] = HOSTILE_SCRIPTS[pick % HOSTILE_SCRIPTS.length] as readonly [
        'js' | 'lua',
        string,
      ];
      return { type: 'script', language, code, timeout: '1s', memoryMb: 16, retry: { maxAttempts: 1 } };
    }
  }
}

export interface WorkflowOptions {
  /** The canary's port: http nodes aim at it. */
  readonly canaryPort: number;
  /**
   * Whether nodes may run hostile scripts (endless loops, memory hogs under a 1 s timeout). They
   * block a local server's event loop while they run (known issue K2), so the short test in
   * `npm test` leaves them out; `npm run fuzz` keeps them.
   */
  readonly hostileScripts: boolean;
}

/** A runnable definition of 1 to 6 nodes with 0 to 3 typed inputs. */
export function workflowArb(options: WorkflowOptions): fc.Arbitrary<GeneratedWorkflow> {
  const { canaryPort } = options;
  const kinds = options.hostileScripts ? nodeKindArb : nodeKindArb.filter((kind) => kind !== 'hostile');
  const nodeArb = fc.record({ kind: kinds, pick: fc.nat({ max: 1000 }), parents: fc.nat() });
  return fc
    .record({
      id: workflowIdArb,
      version: versionArb,
      inputs: fc.dictionary(fc.stringMatching(/^[a-z][A-Za-z0-9_]{0,8}$/), inputArb, { maxKeys: 3 }),
      nodes: fc.array(nodeArb, { minLength: 1, maxLength: 6 }),
      withTimeout: fc.boolean(),
    })
    .map(({ id, version, inputs, nodes, withTimeout }) => {
      const ids = nodes.map((_node, index) => `n${index}`);
      const definition: Record<string, Record<string, unknown>> = {};
      nodes.forEach((node, index) => {
        const body = nodeOf(node.kind, node.pick, canaryPort);
        // Parents among earlier nodes, chosen by the bits of `parents`: always a DAG.
        const needs = ids.slice(0, index).filter((_id, bit) => (node.parents >> bit) & 1);
        definition[ids[index] as string] = { ...body, ...(needs.length > 0 && { needs }) };
      });
      wireConditions(definition, ids);
      const declared = Object.fromEntries(
        Object.entries(inputs).map(([name, plan]) => [name, plan.declaration]),
      );
      const values = Object.fromEntries(
        Object.entries(inputs)
          .filter(([, plan]) => plan.required)
          .map(([name, plan]) => [name, plan.value]),
      );
      return {
        id,
        version,
        definition: {
          id,
          version,
          description: 'made by npm run fuzz',
          ...(Object.keys(declared).length > 0 && { inputs: declared }),
          ...(withTimeout && { timeout: '10m' }),
          nodes: definition,
        },
        inputs: values,
        nodeIds: ids,
      };
    });
}

/** A condition names some of its children as `then` and the others as `else`. */
function wireConditions(nodes: Record<string, Record<string, unknown>>, ids: readonly string[]): void {
  for (const id of ids) {
    const node = nodes[id] as Record<string, unknown>;
    if (node.type !== 'condition') continue;
    const children = ids.filter((child) => (nodes[child]?.needs as string[] | undefined)?.includes(id));
    node.then = children.filter((_child, index) => index % 2 === 0);
    node.else = children.filter((_child, index) => index % 2 === 1);
  }
}

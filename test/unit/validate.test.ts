import { describe, expect, it } from 'vitest';
import { LIMITS } from '../../shared/domain/limits.ts';
import { validateDefinition, validateSource } from '../../shared/domain/validate.ts';

const codes = (result: { errors: { code: string }[] }) => result.errors.map((e) => e.code);

describe('validateSource', () => {
  it('gives a diamond its execution order as levels', () => {
    // Prepare
    const yaml = `
nodes:
  a: { type: noop }
  b: { type: noop, needs: [a] }
  c: { type: noop, needs: [a] }
  d: { type: noop, needs: [b, c] }
`;
    // Act
    const result = validateSource(yaml, 'yaml');
    // Assess
    expect(result).toMatchObject({ valid: true, errors: [], order: [['a'], ['b', 'c'], ['d']] });
  });

  it('reports every problem at once, each with a code and a JSON path', () => {
    // Prepare
    const yaml = `
nodes:
  fetch: { type: noop }
  a: { type: noop, needs: [fetc] }
  b: { type: noop, needs: [b] }
  c: { type: noop, needs: [d] }
  d: { type: noop, needs: [c] }
  e: { type: bogus }
  f: { type: script, language: js, code: "return 1", with: { x: "{% 1 + %}" } }
`;
    // Act
    const result = validateSource(yaml, 'yaml');
    // Assess
    expect(result.valid).toBe(false);
    expect(result.order).toEqual([]);
    expect(result.errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          code: 'UNKNOWN_NODE',
          path: '$.nodes.a.needs[0]',
          message: expect.stringContaining('did you mean "fetch"'),
        }),
        expect.objectContaining({ code: 'SELF_DEPENDENCY', path: '$.nodes.b.needs[0]' }),
        expect.objectContaining({ code: 'CYCLE', message: expect.stringContaining('c -> d -> c') }),
        expect.objectContaining({
          code: 'SCHEMA',
          path: '$.nodes.e.type',
          message: expect.stringContaining('unknown node type "bogus"'),
        }),
        expect.objectContaining({
          code: 'EXPRESSION',
          path: '$.nodes.f.with.x',
          message: expect.stringContaining('position'),
        }),
      ]),
    );
  });

  it('reports duplicate keys that a plain parser would silently drop', () => {
    // Prepare
    const yaml = 'nodes:\n  a: { type: noop }\n  a: { type: noop }\n';
    // Act
    const result = validateSource(yaml, 'yaml');
    // Assess
    expect(result.errors).toContainEqual(
      expect.objectContaining({ code: 'DUPLICATE_KEY', path: '$.nodes.a' }),
    );
  });

  it('reports duplicate keys in JSON too', () => {
    const result = validateSource('{"nodes": {"a": {"type": "noop", "type": "noop"}}}', 'json');
    expect(result.errors).toContainEqual(
      expect.objectContaining({ code: 'DUPLICATE_KEY', path: '$.nodes.a.type' }),
    );
  });

  it('reports malformed YAML and JSON as PARSE problems with a position', () => {
    expect(validateSource('nodes: [a, b', 'yaml').errors[0]).toMatchObject({
      code: 'PARSE',
      message: expect.stringContaining('line'),
    });
    expect(validateSource('{"nodes": ', 'json').errors[0]).toMatchObject({ code: 'PARSE' });
  });

  it('refuses a source over 1 MB with a LIMIT problem', () => {
    const result = validateSource(
      `# ${'x'.repeat(LIMITS.maxDefinitionBytes)}\nnodes: {a: {type: noop}}`,
      'yaml',
    );
    expect(codes(result)).toEqual(['LIMIT']);
  });
});

describe('validateDefinition', () => {
  it('names a missing required field', () => {
    const result = validateDefinition({ nodes: { s: { type: 'script', language: 'js' } } });
    expect(result.errors).toContainEqual({
      code: 'SCHEMA',
      message: 'missing required field "code" (string)',
      path: '$.nodes.s.code',
    });
  });

  it('suggests the closest known field for an unknown one', () => {
    const result = validateDefinition({ nodes: { a: { type: 'noop', neds: ['x'] } } });
    expect(result.errors).toContainEqual(
      expect.objectContaining({
        path: '$.nodes.a.neds',
        message: expect.stringContaining('did you mean "needs"'),
      }),
    );
  });

  it('requires condition branches to be children of their condition', () => {
    // Prepare
    const definition = {
      nodes: {
        check: { type: 'condition', if: '{% true %}', then: ['yes'], else: ['no', 'ghost'] },
        yes: { type: 'noop', needs: ['check'] },
        no: { type: 'noop' },
      },
    };
    // Act
    const result = validateDefinition(definition);
    // Assess
    expect(result.errors).toEqual([
      expect.objectContaining({ code: 'BRANCH', path: '$.nodes.check.else[0]' }),
      expect.objectContaining({ code: 'UNKNOWN_NODE', path: '$.nodes.check.else[1]' }),
    ]);
  });

  it('reports nodes that can never start because they depend on a cycle', () => {
    const result = validateDefinition({
      nodes: {
        a: { type: 'noop', needs: ['b'] },
        b: { type: 'noop', needs: ['a'] },
        c: { type: 'noop', needs: ['b'] },
      },
    });
    expect(codes(result)).toEqual(['CYCLE', 'UNREACHABLE']);
    expect(result.errors[1]).toMatchObject({
      path: '$.nodes.c',
      message: expect.stringContaining('a -> b -> a'),
    });
  });

  it('reports references to nodes that do not exist and to a node’s own output', () => {
    const result = validateDefinition({
      nodes: {
        a: { type: 'noop', with: { x: '{% $nodes.a.output %}', y: 'id: {% $nodes.bb.output %}' } },
        b: { type: 'noop' },
      },
      outputs: { out: '{% $nodes.zz.output %}' },
    });
    expect(result.errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ code: 'EXPRESSION', path: '$.nodes.a.with.x' }),
        expect.objectContaining({
          code: 'UNKNOWN_NODE',
          path: '$.nodes.a.with.y',
          message: expect.stringContaining('"b"'),
        }),
        expect.objectContaining({ code: 'UNKNOWN_NODE', path: '$.outputs.out' }),
      ]),
    );
  });

  it('reports an expression that is never closed', () => {
    const result = validateDefinition({ nodes: { a: { type: 'noop', with: { x: '{% 1 + 1' } } } });
    expect(result.errors).toEqual([
      expect.objectContaining({ code: 'EXPRESSION', message: expect.stringContaining('never closed') }),
    ]);
  });

  it('enforces the node and parent limits', () => {
    // Prepare
    const nodes: Record<string, unknown> = {};
    for (let i = 0; i <= LIMITS.maxNodes; i++) nodes[`n${i}`] = { type: 'noop' };
    const parents = Array.from({ length: LIMITS.maxParents + 1 }, (_, i) => `n${i}`);
    nodes.join = { type: 'noop', needs: parents };
    // Act
    const result = validateDefinition({ nodes });
    // Assess
    expect(result.errors.filter((e) => e.code === 'LIMIT').map((e) => e.path)).toEqual([
      '$.nodes',
      '$.nodes.join.needs',
    ]);
  });

  it('checks input defaults against their type and workflow ranges', () => {
    const result = validateDefinition({
      inputs: { n: { type: 'integer', default: 1.5 } },
      nodes: { child: { type: 'workflow', workflow: 'other', version: 'not a range' } },
    });
    expect(result.errors.map((e) => e.path)).toEqual(['$.inputs.n.default', '$.nodes.child.version']);
  });

  it('refuses a definition that is not an object', () => {
    expect(validateDefinition([1, 2]).errors).toEqual([
      expect.objectContaining({ code: 'SCHEMA', path: '$' }),
    ]);
  });
});

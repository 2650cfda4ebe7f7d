import { describe, expect, it } from 'vitest';
import type { WorkflowDefinition } from '../../../shared/domain/definition-schema.ts';
import { compilePlan, referencedNodes, SINKS_PER_SHARD } from '../../../shared/engine/plan.ts';
import { flowExecutors } from '../../../shared/executors/flow.ts';
import { ExecutorRegistry } from '../../../shared/ports/executors.ts';

const definition = (nodes: Record<string, object>) => ({ nodes }) as unknown as WorkflowDefinition;

describe('compilePlan', () => {
  it('derives parents, children, roots and sinks, ignoring duplicate needs', () => {
    // Prepare
    const plan = compilePlan(
      definition({
        a: { type: 'noop' },
        b: { type: 'noop', needs: ['a', 'a'] },
        c: { type: 'noop', needs: ['a'] },
        d: { type: 'noop', needs: ['b', 'c'] },
        e: { type: 'noop' },
      }),
      flowExecutors(),
    );

    // Act
    const shape = Object.fromEntries(plan.ids.map((id) => [id, [plan.parents(id), plan.children(id)]]));

    // Assess
    expect(shape).toEqual({
      a: [[], ['b', 'c']],
      b: [['a'], ['d']],
      c: [['a'], ['d']],
      d: [['b', 'c'], []],
      e: [[], []],
    });
    expect(plan.roots()).toEqual(['a', 'e']);
    expect([plan.sinkCount, plan.shardCount]).toEqual([2, 1]);
    expect(plan.sinkSlot('d')).toEqual({ shard: 0, member: 0, shardSize: 2 });
    expect(plan.sinkSlot('e')).toEqual({ shard: 0, member: 1, shardSize: 2 });
    expect(plan.sinkSlot('a')).toBeUndefined();
    expect(plan.node('nope')).toBeUndefined();
    expect(plan.node('toString')).toBeUndefined();
    expect(plan.parents('nope')).toEqual([]);
  });

  it('spreads 200 sinks over shards of 64, the last shard holding the rest', () => {
    // Prepare
    const nodes: Record<string, object> = { root: { type: 'noop' } };
    for (let i = 0; i < 200; i += 1) nodes[`s${i}`] = { type: 'noop', needs: ['root'] };

    // Act
    const plan = compilePlan(definition(nodes), flowExecutors());

    // Assess
    expect(SINKS_PER_SHARD).toBe(64);
    expect([plan.sinkCount, plan.shardCount]).toEqual([200, 4]);
    expect(plan.sinkSlot('s0')).toEqual({ shard: 0, member: 0, shardSize: 64 });
    expect(plan.sinkSlot('s63')).toEqual({ shard: 0, member: 63, shardSize: 64 });
    expect(plan.sinkSlot('s64')).toEqual({ shard: 1, member: 64, shardSize: 64 });
    expect(plan.sinkSlot('s191')).toEqual({ shard: 2, member: 191, shardSize: 64 });
    expect(plan.sinkSlot('s192')).toEqual({ shard: 3, member: 192, shardSize: 8 });
    expect(plan.sinkSlot('s199')).toEqual({ shard: 3, member: 199, shardSize: 8 });
    const perShard = [0, 0, 0, 0];
    for (let i = 0; i < 200; i += 1) {
      const slot = plan.sinkSlot(`s${i}`);
      if (slot) perShard[slot.shard] = (perShard[slot.shard] ?? 0) + 1;
    }
    expect(perShard).toEqual([64, 64, 64, 8]);
  });

  it('tells which branch of a condition a child belongs to, from the condition kind’s routes', () => {
    // Prepare
    const plan = compilePlan(
      definition({
        check: { type: 'condition', if: '{% true %}', then: ['yes'], else: ['no'] },
        yes: { type: 'noop', needs: ['check'] },
        no: { type: 'noop', needs: ['check'] },
        always: { type: 'noop', needs: ['check'] },
      }),
      flowExecutors(),
    );

    // Act
    const branches = ['yes', 'no', 'always'].map((id) => plan.routeOf('check', id));

    // Assess
    expect(branches).toEqual(['then', 'else', undefined]);
    expect(plan.routeOf('yes', 'no')).toBeUndefined();
    expect([plan.kindOf('check')?.type, plan.kindOf('yes'), plan.kindOf('nope')]).toEqual([
      'condition',
      undefined,
      undefined,
    ]);
  });

  it('routes nothing for a kind the deployment does not declare', () => {
    // Prepare
    const nodes = {
      check: { type: 'condition', if: '{% true %}', then: ['yes'] },
      yes: { type: 'noop', needs: ['check'] },
    };

    // Act
    const plan = compilePlan(definition(nodes), new ExecutorRegistry());

    // Assess
    expect([plan.kindOf('check'), plan.routeOf('check', 'yes')]).toEqual([undefined, undefined]);
  });
});

describe('referencedNodes', () => {
  const known = (id: string) => ['a', 'b', 'with-dash', 'c'].includes(id);

  it('finds $nodes references in the dotted, backquoted and bracketed forms, deeply', () => {
    // Prepare
    const value = {
      with: {
        x: '{% $nodes.a.output %}',
        list: ['{% $nodes.`with-dash`.output.v %}', { deep: 'id: {% $nodes["c"].output %}' }],
        y: "{% $nodes['b'].status & $nodes . a.output %}",
      },
      when: '{% $nodes.b.output > 1 %}',
    };

    // Act
    const ids = referencedNodes(value, known);

    // Assess
    expect(ids.sort()).toEqual(['a', 'b', 'c', 'with-dash']);
  });

  it('ignores text outside expressions, unknown ids and values that are not strings', () => {
    // Prepare
    const value = {
      code: 'return $nodes.a.output',
      x: '{% $nodes.zz.output %}',
      n: 42,
      nothing: null,
      flag: true,
      y: '{% $inputs.a %}',
    };

    // Act
    const ids = referencedNodes(value, known);

    // Assess
    expect(ids).toEqual([]);
  });
});

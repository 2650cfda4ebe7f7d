import { describe, expect, it } from 'vitest';
import { MemoryStateMachines } from '../../../shared/adapters/memory/state-machines.ts';
import { NODE_TYPES_RUN } from '../../../shared/executors/node-types.ts';
import { NoopExecutor } from '../../../shared/executors/noop.ts';
import { defaultExecutors } from '../../../shared/executors/registry.ts';
import { ScriptExecutor } from '../../../shared/executors/script.ts';
import type { EventPublisher } from '../../../shared/ports/event-publisher.ts';
import { ExecutorRegistry } from '../../../shared/ports/executors.ts';
import { testContext } from './test-context.ts';

const ctx = testContext({ nodeId: 'pass', attempt: 1 });

describe('ExecutorRegistry', () => {
  it('holds the ai, condition, noop, script, http, lambda, map, wait, callback and workflow executors by default', () => {
    // Act
    const registry = defaultExecutors();

    // Assess
    expect(registry.types()).toEqual([
      'ai',
      'callback',
      'condition',
      'http',
      'lambda',
      'map',
      'noop',
      'script',
      'wait',
      'workflow',
    ]);
    expect(registry.get('script')).toBeInstanceOf(ScriptExecutor);
  });

  it('throws naming the registered types for an unknown type', () => {
    // Prepare
    const registry = defaultExecutors();

    // Act
    const lookup = () => registry.get('teleport');

    // Assess
    expect(lookup).toThrow(
      'no executor is registered for node type "teleport" (registered: ai, callback, condition, http, lambda, map, noop, script, wait, workflow)',
    );
  });

  it('refuses a second executor for the same type', () => {
    // Prepare
    const registry = new ExecutorRegistry().register(new NoopExecutor());

    // Act
    const again = () => registry.register(new NoopExecutor());

    // Assess
    expect(again).toThrow('already registered');
  });

  it('refuses script limits above the service limits', () => {
    // Act
    const build = () => defaultExecutors({ script: { timeoutMs: 60_000 } });

    // Assess
    expect(build).toThrow('timeoutMs must be in (0, 30000], got 60000');
  });
});

describe('NoopExecutor', () => {
  it('passes its inputs through, or null without any', async () => {
    // Prepare
    const noop = new NoopExecutor();

    // Act
    const withInputs = await noop.execute({ node: { type: 'noop' }, inputs: { a: 1 }, ctx });
    const without = await noop.execute({ node: { type: 'noop' }, inputs: undefined, ctx });

    // Assess
    expect(withInputs).toEqual({ kind: 'succeeded', output: { a: 1 } });
    expect(without).toEqual({ kind: 'succeeded', output: null });
  });
});

describe('NODE_TYPES_RUN (what publishing and skein validate check definitions against)', () => {
  it('is what the local and the AWS workers’ registries hold', () => {
    // Prepare
    const publisher = { publish: async () => ({ eventId: 'e' }) } as unknown as EventPublisher;

    // Act
    const local = defaultExecutors().types();
    const machines = new MemoryStateMachines({ allow: [] });
    const aws = defaultExecutors({ event: { publisher }, stepFunctions: { machines } }).types();

    // Assess
    expect(local).toEqual([...NODE_TYPES_RUN.local]);
    expect(aws).toEqual([...NODE_TYPES_RUN.aws]);
  });
});

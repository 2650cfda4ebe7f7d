import { describe, expect, it } from 'vitest';
import {
  POOL_QUEUES_BUDGET,
  pascalCase,
  poolQueuesBytes,
  poolsFrom,
  resolvePools,
} from '../../infra/constructs/pools.ts';

describe('resolvePools', () => {
  it('fills in the documented defaults', () => {
    // Act
    const pools = resolvePools([{ name: 'default' }, { name: 'heavy', memoryMb: 4096 }]);
    // Assess
    expect(pools).toEqual([
      {
        name: 'default',
        memoryMb: 1024,
        maxConcurrency: 50,
        timeoutSeconds: 60,
        batchingWindowSeconds: 1,
        tracing: false,
      },
      {
        name: 'heavy',
        memoryMb: 4096,
        maxConcurrency: 50,
        timeoutSeconds: 60,
        batchingWindowSeconds: 1,
        tracing: false,
      },
    ]);
  });

  it.each([
    [[{ name: 'heavy' }], 'must include "default"'],
    [[{ name: 'default' }, { name: 'default' }], 'got "default" twice'],
    [[{ name: 'default' }, { name: 'Heavy' }], 'got "Heavy"'],
    [
      [{ name: 'default', timeoutSeconds: 901 }],
      'timeoutSeconds must be a whole number from 1 to 900, got 901',
    ],
    [[{ name: 'default', maxConcurrency: 1 }], 'maxConcurrency must be a whole number from 2 to 1000, got 1'],
    [[{ name: 'default', memoryMb: 100.5 }], 'memoryMb must be a whole number from 128 to 10240, got 100.5'],
    [[{ name: 'default', memory: 512 }], 'unknown settings memory'],
    [[{ name: 'default', tracing: 'yes' }], 'tracing must be true or false, got "yes"'],
  ])('refuses %j and shows the bad value', (pools, message) => {
    // Act / Assess
    expect(() => resolvePools(pools as never)).toThrow(message);
  });
});

describe('resolvePools and Lambda’s 4 KB environment', () => {
  /** `default` and `count - 1` pools with the longest names allowed (32 characters). */
  const longNamed = (count: number) => [
    { name: 'default' },
    ...Array.from({ length: count - 1 }, (_, index) => ({ name: `p${String(index).padStart(31, '0')}` })),
  ];

  it('accepts 13 pools whatever their names, and refuses 14 of the longest names, saying 13 fit', () => {
    // Act
    const accepted = resolvePools(longNamed(13));
    const refusing = () => resolvePools(longNamed(14));
    // Assess
    expect(accepted).toHaveLength(13);
    expect(poolQueuesBytes(longNamed(13).map((pool) => pool.name))).toBeLessThanOrEqual(POOL_QUEUES_BUDGET);
    expect(refusing).toThrow('14 worker pools need up to');
    expect(refusing).toThrow('use at most 13 pools with names this long, or shorter pool names');
  });

  it('counts each pool as its name, an 80-character queue name and the JSON around them', () => {
    expect(poolQueuesBytes(['default'])).toBe('{"default":""}'.length + 80);
    expect(poolQueuesBytes(['default', 'gpu'])).toBe('{"default":"","gpu":""}'.length + 160);
  });
});

describe('poolsFrom', () => {
  it('reads a JSON string (-c pools=...) or an array (cdk.json), and nothing when unset', () => {
    // Act / Assess
    expect(poolsFrom(undefined)).toBeUndefined();
    expect(poolsFrom('[{"name":"default"},{"name":"heavy"}]')).toEqual([
      { name: 'default' },
      { name: 'heavy' },
    ]);
    expect(poolsFrom([{ name: 'default' }])).toEqual([{ name: 'default' }]);
  });

  it.each([
    ['{not json', 'must be a JSON array of pools, got {not json'],
    ['{"name":"default"}', 'must be an array of'],
    [['default'], 'got ["default"]'],
  ])('refuses %j and shows it', (raw, message) => {
    // Act / Assess
    expect(() => poolsFrom(raw)).toThrow(message);
  });
});

describe('pascalCase', () => {
  it('turns pool names into construct-id parts', () => {
    expect(pascalCase('default')).toBe('Default');
    expect(pascalCase('gpu-heavy')).toBe('GpuHeavy');
  });
});

import type { LookupAddress } from 'node:dns';
import { describe, expect, it } from 'vitest';
import { pinnedLookup } from '../../../shared/executors/pinned-agent.ts';

const checked = [
  { address: '93.184.216.34', family: 4 },
  { address: '2606:2800:220:1::1', family: 6 },
];

/** Calls a lookup function and collects what it answers. */
const ask = (options: { all?: boolean; family?: number }) =>
  new Promise<{ error: Error | null; address: string | LookupAddress[]; family?: number }>((resolve) => {
    pinnedLookup(checked)('rebound.example.com', options, (error, address, family) =>
      resolve({ error, address, ...(family !== undefined && { family }) }),
    );
  });

describe('pinnedLookup', () => {
  it('answers every checked address, whatever the name, when asked for all', async () => {
    // Act
    const answer = await ask({ all: true });

    // Assess
    expect(answer).toEqual({ error: null, address: checked });
  });

  it('answers the first checked address of the family asked for', async () => {
    // Act
    const [any, v6] = await Promise.all([ask({}), ask({ family: 6 })]);

    // Assess
    expect(any).toEqual({ error: null, address: '93.184.216.34', family: 4 });
    expect(v6).toEqual({ error: null, address: '2606:2800:220:1::1', family: 6 });
  });

  it('fails rather than resolving again when no checked address has that family', async () => {
    // Prepare
    const lookup = pinnedLookup([{ address: '93.184.216.34', family: 4 }]);

    // Act
    const error = await new Promise<NodeJS.ErrnoException | null>((resolve) =>
      lookup('example.com', { family: 6 }, (failure) => resolve(failure)),
    );

    // Assess
    expect(error?.code).toBe('ENOTFOUND');
  });
});

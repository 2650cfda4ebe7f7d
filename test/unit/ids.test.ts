import { describe, expect, it } from 'vitest';
import { randomIds } from '../../shared/ports/ids.ts';

describe('randomIds', () => {
  it('makes distinct ULIDs, sortable by time, whose random characters cover the whole alphabet evenly', () => {
    // Act
    const ids = Array.from({ length: 20_000 }, () => randomIds.newId());

    // Assess
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    const counts = new Map<string, number>();
    for (const id of ids) for (const char of id.slice(10)) counts.set(char, (counts.get(char) ?? 0) + 1);
    expect(counts.size).toBe(32);
    const expected = (ids.length * 16) / 32; // 10,000 per character
    for (const count of counts.values()) expect(Math.abs(count - expected)).toBeLessThan(expected * 0.06);
  });
});

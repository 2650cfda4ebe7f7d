import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openingLines } from '../../functions/local/local-stack.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
function dataDir(...entries: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'skein-stack-'));
  dirs.push(dir);
  for (const entry of entries) {
    if (entry.endsWith('/')) mkdirSync(join(dir, entry), { recursive: true });
    else writeFileSync(join(dir, entry), '');
  }
  return dir;
}

describe("npm start's opening lines", () => {
  it('names the database file of the embedded store', () => {
    const dir = dataDir();
    expect(openingLines('sqlite', dir, false)).toEqual([
      `Opening the embedded store (SQLite, ${join(dir, 'skein.db')})...`,
    ]);
  });

  it('says that older DynamoDB Local data is not migrated, only while the folder has no skein.db', () => {
    const older = dataDir('dynamodb/');
    const both = dataDir('dynamodb/', 'skein.db');
    expect(openingLines('sqlite', older, false)[0]).toContain('npm start -- --store dynamodb still does');
    expect(openingLines('sqlite', both, false)).toHaveLength(1);
    expect(openingLines('sqlite', older, true)).toEqual(['Opening the embedded store (SQLite in memory)...']);
    expect(openingLines('dynamodb', older, false)).toEqual([
      `Starting DynamoDB Local (persisted in ${older}/dynamodb)...`,
    ]);
  });
});

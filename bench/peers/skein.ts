// Skein's in-process engine as a contestant (bench/engine-driver.ts: 8 pollers, batches of 10):
// on the memory store and queue, or on the embedded SQLite store and queue in one database file,
// fresh for every shape, with the change feed at the default node-event level (`failures`).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryRunStore } from '../../shared/adapters/memory/run-store.ts';
import { SqliteQueue } from '../../shared/adapters/sqlite/sqlite-queue.ts';
import { SqliteRunStore } from '../../shared/adapters/sqlite/sqlite-run-store.ts';
import { type EngineBench, engineBench } from '../engine-driver.ts';
import type { Shape } from '../shapes.ts';
import type { Contestant } from './contestant.ts';

export type SkeinStore = 'memory' | 'sqlite';

/** Skein on `store` with `workers` pollers. */
export function skeinContestant(store: SkeinStore, workers: number): Contestant {
  const dir = store === 'sqlite' ? mkdtempSync(join(tmpdir(), 'skein-peers-sqlite-')) : undefined;
  let bench: EngineBench | undefined;
  let sqlite: SqliteRunStore | undefined;
  const finish = async () => {
    await bench?.stop();
    bench = undefined;
    sqlite?.close();
    sqlite = undefined;
  };
  return {
    name: store === 'memory' ? 'Skein, memory' : 'Skein, SQLite store + queue',
    prepare: async (shape: Shape) => {
      if (dir) {
        sqlite = new SqliteRunStore({ database: join(dir, `${shape.name}.db`), changeFeed: 'failures' });
        const queue = new SqliteQueue(sqlite.sqlite, { name: 'work', visibilitySeconds: 120 });
        bench = engineBench(sqlite, workers, { queue });
      } else {
        bench = engineBench(new MemoryRunStore(), workers);
      }
      await bench.publish(shape.definition);
    },
    run: async (shape: Shape) => {
      if (!bench) throw new Error('no shape prepared');
      const result = await bench.runToEnd(shape.definition.id);
      if (result.status !== 'run.succeeded') throw new Error(`${shape.name} ended ${result.status}`);
      return result.ms;
    },
    finish,
    close: async () => {
      await finish();
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

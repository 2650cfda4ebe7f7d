// One of the processes of the cross-process race test (`sqlite-processes.test.ts`): on the
// database file `argv[2]`, from the moment `argv[4]` (epoch ms) on, claims each of 300 nodes of
// run `race` (a conditional write from READY), arrives at a join as parent `<argv[3]>-<i>` and adds
// members to a done-set, 50 nodes at a time; prints the node ids it claimed as JSON.
import { setTimeout as sleep } from 'node:timers/promises';
import { SqliteRunStore } from '../../shared/adapters/sqlite/sqlite-run-store.ts';

const [path, me, at] = process.argv.slice(2);
if (!path || !me) throw new Error('usage: sqlite-race-child.ts <db> <name> <start at, epoch ms>');
const store = new SqliteRunStore({ database: path });
// Every process starts at the same moment (tsx takes a while to start), so their writes overlap.
await sleep(Math.max(0, Number(at) - Date.now()));
const EXPIRES = 4_102_444_800;
const claimed: string[] = [];
const ids = Array.from({ length: 300 }, (_, i) => `n${i}`);
for (let i = 0; i < ids.length; i += 50) {
  await Promise.all(
    ids.slice(i, i + 50).map(async (nodeId, j) => {
      const won = await store.updateNode(
        'race',
        nodeId,
        { status: ['READY'] },
        { set: { status: 'RUNNING', token: me }, bumpFence: true },
        EXPIRES,
      );
      if (won) claimed.push(nodeId);
      await store.arrive('race', 'join', `${me}-${i + j}`, 'SUCCEEDED', EXPIRES);
      await store.addDone('race', '0#0', i + j, EXPIRES);
    }),
  );
}
store.close();
process.stdout.write(`${JSON.stringify(claimed)}\n`);

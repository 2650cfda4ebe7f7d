import { skeinContestant } from './peers/skein.ts';
import { fanOut } from './shapes.ts';

const shape = fanOut(10_000);
const c = skeinContestant('sqlite', 8);
await c.prepare(shape);
for (let i = 0; i < 3; i++) {
  const ms = await c.run(shape);
  console.log(`run ${i}: ${ms.toFixed(0)} ms, ${((10000 / ms) * 1000).toFixed(0)} nodes/s`);
}
await c.close();

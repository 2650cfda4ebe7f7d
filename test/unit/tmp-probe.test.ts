import { it } from 'vitest';
import { MemoryRunStore } from '../../shared/adapters/memory/run-store.ts';
import { chaosRun } from '../chaos/driver.ts';
import { prng, randomWorkflow } from '../chaos/generate.ts';

it('x', async () => {
  const seed = 152;
  const random = prng(seed);
  const wf = randomWorkflow(random, 151);
  const store = new MemoryRunStore();
  const orig = store.updateRun.bind(store);
  store.updateRun = async (...a) => {
    const r = await orig(...a);
    if (r)
      console.log('RUN', r.status, r.epoch, JSON.stringify(a[2]).slice(0, 150), JSON.stringify(a[3] ?? {}));
    return r;
  };
  const r = await chaosRun(wf, random, () => store, {}, `s${seed}`);
  console.log(JSON.stringify(r.violations).slice(0, 300));
  const nodes = await store.listNodes('s152-0001');
  for (const n of nodes.sort((a, b) => a.nodeId.localeCompare(b.nodeId)))
    console.log(
      'NODE',
      n.nodeId,
      n.status,
      n.epoch,
      n.attempt,
      n.reason ?? '',
      JSON.stringify(n.error ?? ''),
    );
  console.log(JSON.stringify(wf.nodes.map((n) => [n.id, n.kind, n.parents, n.rule, n.continueOnError])));
});

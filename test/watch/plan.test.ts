import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isWatched, planWatches, type WatchPlan } from '../../src/watch/plan.js';
import { createKubeletVolume } from '../helpers/kubelet-volume.js';
import { suiteTempDir } from '../helpers/temp-dir.js';

function shape(plan: WatchPlan): Record<string, string[] | 'all'> {
  return Object.fromEntries([...plan.entries].map(([dir, names]) => [dir, names === 'all' ? 'all' : [...names].sort()]));
}

describe('planWatches', () => {
  const base = suiteTempDir('plan');

  it('a kubelet key: its directory, filtered to the key and ..data; never the file path', async () => {
    const vol = await createKubeletVolume(join(base(), 'vol'), { 'config.yaml': 'a' });
    const plan = await planWatches([vol.path('config.yaml')]);
    assert.deepEqual(shape(plan), { [vol.dir]: ['..data', 'config.yaml'] });
    assert.equal(isWatched(plan, join(vol.dir, '..data')), true);
    assert.equal(isWatched(plan, join(vol.dir, 'other')), false);
    // the signature does not move with a swap, so a swap costs no rebuild
    await vol.swap({ 'config.yaml': 'b' });
    assert.equal((await planWatches([vol.path('config.yaml')])).signature, plan.signature);
  });

  it('a directory: all of it, and its parent filtered to its name (to see it replaced)', async () => {
    const dir = join(base(), 'conf.d');
    await mkdir(dir);
    const plan = await planWatches([dir]);
    assert.deepEqual(shape(plan), { [dir]: 'all', [base()]: ['conf.d'] });
    assert.equal(isWatched(plan, join(dir, 'anything')), true);
    assert.equal(isWatched(plan, join(base(), 'sibling')), false);
  });

  it('a missing path: its nearest existing ancestor, filtered to the next component', async () => {
    const plan = await planWatches([join(base(), 'not', 'yet', 'agent.yaml')]);
    assert.deepEqual(shape(plan), { [base()]: ['not'] });
  });

  it('a symlink to a file in another directory: both directories', async () => {
    const real = join(base(), 'real');
    await mkdir(real);
    await writeFile(join(real, 'creds'), 'u:p');
    await symlink(join(real, 'creds'), join(base(), 'creds-link'));
    const plan = await planWatches([join(base(), 'creds-link')]);
    assert.deepEqual(shape(plan), { [base()]: ['..data', 'creds-link'], [real]: ['creds'] });
  });
});

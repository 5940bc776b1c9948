// kill -9 of the sync at random instants, mid-copy: HOSTDIR stays at the last complete set (the `..data`
// rename is the only visible step), and the next sync converges and leaves no `..<timestamp>` behind.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Syncer } from '../../src/sync/syncer.js';
import { createKubeletVolume } from '../helpers/kubelet-volume.js';
import { leftovers, readHostState, startSyncProcess, type HostState } from './helpers.js';
import { bundleChild, killCount, startAndKill } from '../helpers/bundle-child.js';
import { tempDir } from '../helpers/temp-dir.js';

const KILLS = killCount();
// Large enough that a copy (write + fsync per file) takes a while, so kills land inside it.
const BLOB = 2 * 1024 * 1024;

function payload(name: 'A' | 'B'): Record<string, string> {
  return {
    'config.yaml': `registries:\n  state-${name.toLowerCase()}.test: {}\n`,
    'blob-1.bin': name.repeat(BLOB),
    'blob-2.bin': name.repeat(BLOB),
    'blob-3.bin': name.repeat(BLOB),
    [`only-${name.toLowerCase()}.txt`]: name,
  };
}

/** Which of the two payloads the host dir holds, complete and with the right modes; throws otherwise. */
function whichPayload(state: HostState | undefined): 'A' | 'B' {
  assert.ok(state !== undefined, 'no ..data');
  for (const name of ['A', 'B'] as const) {
    const want = payload(name);
    const same =
      state.files.size === Object.keys(want).length &&
      Object.entries(want).every(([k, v]) => state.files.get(k)?.content === v && state.files.get(k)?.mode === 0o644);
    if (same) return name;
  }
  const summary = [...state.files].map(([k, f]) => `${k}:${f.content.length}:${f.content.slice(0, 1)}:${f.mode.toString(8)}`).join(' ');
  assert.fail(`the host dir is neither complete payload: ${summary}`);
}

describe('kill -9 during sync', () => {
  it(
    `leaves HOSTDIR at a complete set over ${KILLS} kills; the next sync converges and removes every leftover`,
    { timeout: 60_000 + KILLS * 2_000 },
    async (t) => {
      const root = await tempDir(t, 'sync-kill');
      const hostDir = join(root, 'cluster.d');
      const a = await createKubeletVolume(join(root, 'a'), payload('A'));
      const b = await createKubeletVolume(join(root, 'b'), payload('B'));
      // The child syncs B, then A, then B... until it is killed.
      const bundle = await bundleChild(new URL('./kill-child.ts', import.meta.url), root);
      const converge = new Syncer({ from: [a.dir], to: hostDir });
      await converge.sync();

      let sawB = 0;
      let sawLeftovers = 0;
      for (let kill = 0; kill < KILLS; kill++) {
        await startAndKill(bundle, [hostDir, a.dir, b.dir], 400);

        if (whichPayload(await readHostState(hostDir)) === 'B') sawB++;
        if ((await leftovers(hostDir)).length > 0) sawLeftovers++;

        const outcome = await converge.sync();
        assert.notEqual(outcome.result, 'rejected');
        assert.equal(whichPayload(await readHostState(hostDir)), 'A', `kill ${kill}: the restarted sync converged`);
        assert.deepEqual(await leftovers(hostDir), [], `kill ${kill}: leftovers after the restarted sync`);
        for (const key of Object.keys(payload('A'))) assert.equal(await readlink(join(hostDir, key)), join('..data', key));
      }
      t.diagnostic(`kills that left B on the host: ${sawB}; kills that left a generation or ..data_tmp behind: ${sawLeftovers}`);
      // The kills landed while the child was copying, not only before it started or between passes.
      assert.ok(sawB > 0, 'no kill happened after a complete swap');
      assert.ok(sawLeftovers > 0, 'no kill happened in the middle of a copy');
    },
  );

  it('the real `sync` daemon killed mid-copy restarts and converges', { timeout: 60_000 }, async (t) => {
    const root = await tempDir(t, 'sync-kill-cli');
    const hostDir = join(root, 'cluster.d');
    const source = await createKubeletVolume(join(root, 'src'), payload('A'));
    const first = await startSyncProcess(t, [source.dir], hostDir);
    await first.waitForStatus('A copied', (s) => s.ready);
    await source.swap(payload('B'));
    // Kill as soon as the new generation is being written.
    const deadline = Date.now() + 10_000;
    while ((await leftovers(hostDir)).length === 0) {
      assert.ok(Date.now() < deadline, 'the sync never started copying B');
      await new Promise((resolve) => setImmediate(resolve));
    }
    await first.stop('SIGKILL');
    const left = whichPayload(await readHostState(hostDir));
    t.diagnostic(`after the kill: ${left}, leftovers ${(await leftovers(hostDir)).join(' ') || 'none'}`);

    const second = await startSyncProcess(t, [source.dir], hostDir);
    await second.waitForStatus('B copied', (s) => s.ready);
    assert.equal(whichPayload(await readHostState(hostDir)), 'B');
    assert.deepEqual(await leftovers(hostDir), []);
    assert.equal(await second.stop('SIGTERM'), 0);
  });
});

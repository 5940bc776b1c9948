// Invariant 1: kill -9 at any instant leaves every hosts.toml complete (old or new), never partial.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, stat, writeFile, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'smol-toml';
import { applyTree } from '../../src/apply/apply.js';
import { TEMP_PREFIX } from '../../src/apply/atomic-write.js';
import { loadManifest } from '../../src/apply/manifest.js';
import { restoreAll } from '../../src/apply/restore.js';
import type { RenderedFile } from '../../src/model.js';
import { bundleChild, killCount, startAndKill } from '../helpers/bundle-child.js';
import { tempDir } from '../helpers/temp-dir.js';
import { killTrees, REGISTRIES, TAKEN_ORIGINAL, takenPath } from './kill-trees.js';

const KILLS = killCount();

async function temps(root: string): Promise<string[]> {
  return (await readdir(root, { recursive: true })).filter((p) => p.split('/').some((part) => part.startsWith(TEMP_PREFIX)));
}

describe('kill -9 during apply', () => {
  it(
    `leaves every file old or new, never partial, over ${KILLS} kills; the next apply removes temp files`,
    { timeout: 60_000 + 4 * KILLS * 1_000 },
    async (t) => {
      const root = await tempDir(t);
      const hostsDir = join(root, 'certs.d');
      const stateDir = join(root, 'state');
      // The child applies the two trees of kill-trees.ts in turn until it is killed.
      const bundle = await bundleChild(new URL('./kill-child.ts', import.meta.url), root);

      await mkdir(join(hostsDir, 'taken.example'), { recursive: true });
      await writeFile(takenPath(hostsDir), TAKEN_ORIGINAL.content);
      await chmod(takenPath(hostsDir), TAKEN_ORIGINAL.mode);
      const [a, b] = killTrees(hostsDir);
      await applyTree(a, { hostsDir, stateDir });

      const allowed = new Map<string, RenderedFile[]>();
      for (const r of REGISTRIES) {
        const path = join(hostsDir, r, 'hosts.toml');
        allowed.set(
          path,
          [a.get(path), b.get(path)].filter((f): f is RenderedFile => f !== undefined),
        );
      }
      allowed.set(takenPath(hostsDir), [a.get(takenPath(hostsDir)) as RenderedFile, TAKEN_ORIGINAL]);

      let sawNew = 0;
      let sawTemps = 0;
      // At least KILLS kills; on a loaded machine a few more (up to 4×) until one has landed after a write and one
      // in the middle of one, which the assertions below require.
      const enough = (kill: number): boolean => kill >= KILLS && ((sawNew > 0 && sawTemps > 0) || kill >= 4 * KILLS);
      for (let kill = 0; !enough(kill); kill++) {
        // 20 ms covers several applies on an idle machine; on a loaded one the child may not finish one write in
        // that window, so the window doubles every 5 kills until a kill has landed after a write.
        const windowMs = sawNew > 0 ? 20 : Math.min(20 * 2 ** Math.floor(kill / 5), 1_000);
        await startAndKill(bundle, [hostsDir, stateDir], windowMs);
        for (const [path, versions] of allowed) {
          const content = await readFile(path, 'utf8');
          const mode = (await stat(path)).mode & 0o7777;
          const match = versions.findIndex((v) => v.content === content && v.mode === mode);
          assert.notEqual(match, -1, `kill ${kill}: ${path} is neither version (${content.length} bytes, mode ${mode.toString(8)})`);
          if (match === 1) sawNew++;
          assert.doesNotThrow(() => parse(content), `kill ${kill}: ${path} does not parse`);
        }
        await loadManifest(stateDir);
        if ((await temps(hostsDir)).length + (await temps(stateDir)).length > 0) sawTemps++;

        await applyTree(a, { hostsDir, stateDir });
        assert.deepEqual(await temps(hostsDir), [], `kill ${kill}: temp files left in the hosts dir after the next apply`);
        assert.deepEqual(await temps(stateDir), [], `kill ${kill}: temp files left in the state dir after the next apply`);
      }
      t.diagnostic(`files seen at the other version: ${sawNew}; kills that left temp files: ${sawTemps}`);
      // The kills landed while the child was writing, not only before it started.
      assert.ok(sawNew > 0, 'no kill happened after the child wrote anything');
      assert.ok(sawTemps > 0, 'no kill happened in the middle of a write');

      await restoreAll({ hostsDir, stateDir });
      assert.equal(await readFile(takenPath(hostsDir), 'utf8'), TAKEN_ORIGINAL.content);
      assert.deepEqual((await readdir(hostsDir)).sort(), ['taken.example']);
    },
  );
});

// Defect: a kill during the one-time copy of config.toml left a truncated `.orig`, kept for good as "the
// backup". kill -9 at any instant must leave no backup or the complete original, and the next run completes it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { build } from 'esbuild';
import { CONFIG_BACKUP_FILE, keepOriginalOnce } from '../../src/containerd/config-original.js';
import { tempDir } from '../helpers/temp-dir.js';

const KILLS = 40;
/** Large enough (20 MiB, as seen on a node) that copying it takes a while. */
const ORIGINAL = Buffer.from(`version = 2\n${`# ${'x'.repeat(1021)}\n`.repeat(20 * 1024)}`);

/** Starts the child and kills it after a random delay; false when it had already finished. */
async function runAndKill(bundle: string, config: string, stateDir: string, maxDelayMs: number): Promise<boolean> {
  const child = spawn(process.execPath, [bundle, config, stateDir], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = once(child, 'exit');
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  await once(child.stdout, 'data');
  await new Promise((r) => setTimeout(r, Math.random() * maxDelayMs));
  child.kill('SIGKILL');
  await exited;
  return !out.includes('done');
}

describe('kill -9 during the config.toml backup', () => {
  it(`leaves no backup or the whole original over ${KILLS} kills, and the next run completes it`, { timeout: 180_000 }, async (t) => {
    const root = await tempDir(t);
    const config = join(root, 'config.toml');
    await writeFile(config, ORIGINAL);
    const bundle = join(root, 'child.mjs');
    await build({
      entryPoints: [new URL('./backup-kill-child.ts', import.meta.url).pathname],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      outfile: bundle,
      logLevel: 'error',
    });

    let midway = 0;
    for (let kill = 0; kill < KILLS; kill++) {
      const stateDir = join(root, `state-${kill}`);
      await mkdir(stateDir);
      const backup = join(stateDir, CONFIG_BACKUP_FILE);
      if (await runAndKill(bundle, config, stateDir, 60)) midway++;
      const left = await readFile(backup).catch(() => undefined);
      assert.ok(
        left === undefined || left.equals(ORIGINAL),
        `kill ${kill}: a partial backup (${left?.length} of ${ORIGINAL.length} bytes)`,
      );
      await keepOriginalOnce(config, true, 0o644, stateDir);
      assert.ok((await readFile(backup)).equals(ORIGINAL), `kill ${kill}: the next run did not complete the backup`);
      await rm(stateDir, { recursive: true });
    }
    t.diagnostic(`kills before the child finished: ${midway}`);
    assert.ok(midway > 0, 'no kill landed while the child was copying');
  });
});

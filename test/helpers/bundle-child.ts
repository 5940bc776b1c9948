// A TypeScript child program for the kill -9 loops: bundled once, started as plain `node`, killed at a random
// instant after it says it is working. Bundling keeps each of the many starts a plain node start instead of a
// TypeScript compile, so the loop spends its time where the kills must land: inside writes.
// The number of kills comes from CMA_KILLS (50 by default, .ci/run sets 200), so `make test` stays quick and
// CI still covers many instants.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/** How many kills a kill loop runs: CMA_KILLS, default 50. */
export function killCount(): number {
  const raw = process.env.CMA_KILLS ?? '50';
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`CMA_KILLS must be a positive integer, got ${JSON.stringify(raw)}`);
  return n;
}

/** Bundles `entry` (a .ts file URL) into `dir`/child.mjs and returns the bundle's path. */
export async function bundleChild(entry: URL, dir: string): Promise<string> {
  const outfile = join(dir, 'child.mjs');
  await build({
    entryPoints: [fileURLToPath(entry)],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile,
    logLevel: 'error',
    // Some dependencies (yaml) are CommonJS and require Node built-ins, which an ESM bundle can only do through
    // a real require.
    banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
  });
  return outfile;
}

/**
 * Starts `bundle` with `args`, waits for its first line on stdout (it is working), kills it with SIGKILL after a
 * random delay up to `maxDelayMs`, and resolves once it is dead. Fails if it exits by itself.
 */
export async function startAndKill(bundle: string, args: readonly string[], maxDelayMs: number): Promise<void> {
  const child = spawn(process.execPath, [bundle, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  await Promise.race([once(child.stdout, 'data'), exited.then(([code]) => assert.fail(`the child exited with ${code} before it started`))]);
  await new Promise((resolve) => setTimeout(resolve, Math.random() * maxDelayMs));
  child.kill('SIGKILL');
  const [code, signal] = await exited;
  assert.equal(signal, 'SIGKILL', `the child exited by itself with code ${code}`);
}

// Leftovers of a run killed mid-write, in every directory the agent writes to.
import { readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { removeStaleTemps } from './atomic-write.js';
import { subdirs } from './disk.js';
import { ioError, isAbsent } from './io-error.js';
import { backupsDir } from './manifest.js';
import { IO_CONCURRENCY, mapLimit } from './parallel.js';

/** Assumes one agent per state dir: a second writer's in-flight temp file would be removed too. */
export async function removeTempsEverywhere(hostsDir: string, stateDir: string, ownedPaths: readonly string[]): Promise<void> {
  const dirs = new Set([hostsDir, ...(await subdirs(hostsDir)), ...ownedPaths.map((p) => dirname(p)), stateDir]);
  for (const dir of await treeOf(backupsDir(stateDir))) dirs.add(dir);
  await mapLimit([...dirs], IO_CONCURRENCY, removeStaleTemps);
}

/** `root` and every directory below it; none when it does not exist. */
async function treeOf(root: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(root, { withFileTypes: true, recursive: true });
  } catch (err) {
    if (isAbsent(err)) return [];
    throw ioError(root, err, 'scandir');
  }
  return [root, ...entries.filter((e) => e.isDirectory()).map((e) => join(e.parentPath, e.name))];
}

// Leftovers of a run killed mid-write, in every directory the agent writes to.
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { removeStaleTemps } from './atomic-write.js';
import { subdirs } from './disk.js';
import { ioError, isAbsent } from './io-error.js';
import { backupsDir } from './manifest.js';

/** Assumes one agent per state dir: a second writer's in-flight temp file would be removed too. */
export async function removeTempsEverywhere(hostsDir: string, stateDir: string, ownedPaths: readonly string[]): Promise<void> {
  const dirs = new Set([hostsDir, ...subdirs(hostsDir), ...ownedPaths.map((p) => dirname(p)), stateDir]);
  for (const dir of treeOf(backupsDir(stateDir))) dirs.add(dir);
  for (const dir of dirs) await removeStaleTemps(dir);
}

/** `root` and every directory below it; none when it does not exist. */
function treeOf(root: string): string[] {
  let entries;
  try {
    entries = readdirSync(root, { withFileTypes: true, recursive: true });
  } catch (err) {
    if (isAbsent(err)) return [];
    throw ioError(root, err, 'scandir');
  }
  return [root, ...entries.filter((e) => e.isDirectory()).map((e) => join(e.parentPath, e.name))];
}

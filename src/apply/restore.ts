// `restore`: hand every path back and forget everything, so the node is as it was before the agent ran.
import { rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { AgentError, AgentErrors } from '../errors.js';
import type { ApplyOptions } from './apply.js';
import { fsyncDir } from './atomic-write.js';
import { removeEmptyDirs } from './dirs.js';
import { ownedFilesIn } from './disk.js';
import { ioError } from './io-error.js';
import { backupsDir, deleteManifest, loadManifest, saveManifest } from './manifest.js';
import { releasePath } from './release.js';
import { removeTempsEverywhere } from './temps.js';

/**
 * Removes every owned file (those the manifest names, wherever they are, and any carrying the marker in
 * `hostsDir`), puts every backup back, removes the directories the agent created once empty, then deletes
 * the manifest and backups. Paths that fail are kept in the manifest so a second run can finish; running
 * it again after success finds nothing to do.
 */
export async function restoreAll(options: ApplyOptions): Promise<{ removed: string[]; restored: string[] }> {
  const hostsDir = resolve(options.hostsDir);
  const { stateDir } = options;
  const loaded = await loadManifest(stateDir);
  const files = loaded.manifest.files;
  await removeTempsEverywhere(hostsDir, stateDir, Object.keys(files));

  const result = { removed: [] as string[], restored: [] as string[] };
  const errors: AgentError[] = [];
  const paths = [...new Set([...Object.keys(files), ...ownedFilesIn(hostsDir, 'hosts.toml')])].sort();
  for (const path of paths) {
    try {
      const outcome = await releasePath(path, files[path], stateDir);
      if (outcome === 'removed') result.removed.push(path);
      if (outcome === 'restored') result.restored.push(path);
      delete files[path];
    } catch (err) {
      errors.push(err instanceof AgentError ? err : new AgentError('CMA_APPLY_IO', String(err), { file: path }));
    }
  }
  const gone = new Set(await removeEmptyDirs(loaded.manifest.dirs));
  loaded.manifest.dirs = loaded.manifest.dirs.filter((d) => !gone.has(d));

  if (errors.length > 0) {
    // Released paths leave the manifest; their backups stay until a run that succeeds removes them all.
    await saveManifest(stateDir, loaded);
    throw new AgentErrors(errors);
  }
  // Directories someone put files in stay with them; the agent no longer claims anything.
  await deleteManifest(stateDir);
  const backups = backupsDir(stateDir);
  try {
    await rm(backups, { recursive: true, force: true });
  } catch (err) {
    throw ioError(backups, err, 'rm');
  }
  await fsyncDir(stateDir).catch(() => undefined);
  return result;
}

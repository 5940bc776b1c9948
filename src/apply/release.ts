// Handing a path back: what both "registry removed from the config" and `restore` do to one owned file.
import { readFile, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { AgentError } from '../errors.js';
import { fsyncDir, writeFileAtomic, type Owner } from './atomic-write.js';
import { assertRealDirIfPresent } from './dirs.js';
import { inspect, type Found } from './disk.js';
import { errnoCode, ioError } from './io-error.js';
import { backupPath, type OwnedEntry } from './manifest.js';

export type Released = 'removed' | 'restored' | 'untouched';

/**
 * Puts `path` back the way it was before the agent took it: its backup (byte-for-byte, with its mode) or
 * nothing. A file that is not ours is never touched. The caller forgets the entry, then the backup, only
 * after this returns.
 */
export async function releasePath(path: string, entry: OwnedEntry | undefined, stateDir: string): Promise<Released> {
  assertRealDirIfPresent(dirname(path));
  const found = inspect(path);
  const backup = await backupOf(stateDir, path, entry);
  if (backup === undefined) {
    if (found.kind !== 'file' || !found.owned) return 'untouched';
    await removeFile(path);
    return 'removed';
  }
  if (found.kind === 'file' && !found.owned) {
    assertIsBackup(stateDir, path, found, backup);
    return 'untouched';
  }
  if (found.kind === 'other') {
    throw new AgentError('CMA_NOT_OWNED', 'is not a regular file; its backup cannot be put back', { file: path });
  }
  await writeFileAtomic(path, backup.content, backup.mode, backup.owner);
  return 'restored';
}

export interface Backup {
  content: Buffer;
  mode: number;
  owner?: Owner;
}

export async function backupOf(stateDir: string, path: string, entry: OwnedEntry | undefined): Promise<Backup | undefined> {
  if (entry?.before !== 'backup') return undefined;
  const file = backupPath(stateDir, path);
  try {
    const owner = entry.uid === undefined || entry.gid === undefined ? undefined : { uid: entry.uid, gid: entry.gid };
    return { content: await readFile(file), mode: entry.mode, ...(owner === undefined ? {} : { owner }) };
  } catch (err) {
    throw ioError(file, err, 'open');
  }
}

/**
 * An unowned file where a backup is recorded is fine only when it is that backup (a run was killed between
 * backup and write, or after putting it back). Otherwise someone replaced our file: it is theirs, and
 * neither it nor the original in the backup may be destroyed.
 */
export function assertIsBackup(stateDir: string, path: string, found: Found & { kind: 'file' }, backup: Backup): void {
  if (found.content.equals(backup.content) && found.mode === backup.mode) return;
  throw new AgentError(
    'CMA_NOT_OWNED',
    `lost its marker and differs from its backup ${backupPath(stateDir, path)}; keeping both, move one away`,
    { file: path },
  );
}

/** Forgets a backup once it is back in place or no longer needed. */
export async function dropBackup(stateDir: string, path: string): Promise<void> {
  try {
    await unlink(backupPath(stateDir, path));
  } catch (err) {
    if (errnoCode(err) !== 'ENOENT') throw ioError(backupPath(stateDir, path), err, 'unlink');
  }
}

async function removeFile(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return;
    throw ioError(path, err, 'unlink');
  }
  await fsyncDir(dirname(path));
}

// Directories the agent creates, and takes away again when it created them and they are empty.
import { chmodSync, lstatSync, mkdirSync } from 'node:fs';
import { mkdir, rmdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { AgentError } from '../errors.js';
import { fsyncDir } from './atomic-write.js';
import { errnoCode, ioError, isAbsent } from './io-error.js';

export async function ensureDir(dir: string, mode: number): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode });
  } catch (err) {
    throw ioError(dir, err, 'mkdir');
  }
}

/**
 * A registry dir that is a symlink (or a file) would make the agent write or remove outside the hosts dir:
 * refused, by apply and restore alike. A missing one is fine: apply creates it. Returns whether it exists.
 * Synchronous: part of apply's read-only decision (disk.ts says why).
 */
export function assertRealDirIfPresent(dir: string): boolean {
  let isDir: boolean;
  try {
    isDir = lstatSync(dir).isDirectory();
  } catch (err) {
    if (isAbsent(err)) return false;
    throw ioError(dir, err, 'lstat');
  }
  if (!isDir)
    throw new AgentError('CMA_NOT_OWNED', 'is not a real directory (a symlink or a file); refusing to write or remove through it', {
      file: dir,
    });
  return true;
}

/** `dir` and those of its ancestors that do not exist, outermost first: what creating `dir` would create. */
export function missingDirs(dir: string): string[] {
  const missing: string[] = [];
  for (let d = dir; ; d = dirname(d)) {
    try {
      lstatSync(d);
      return missing;
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') throw ioError(d, err, 'lstat');
      missing.unshift(d);
    }
    if (dirname(d) === d) return missing;
  }
}

/**
 * Creates `dirs` (outermost first) with exactly `mode`, which mkdir alone would reduce by the umask. Returns
 * those it created; the caller fsyncs their parents, once each for all of them (a fsync per directory, one
 * after another, was most of a first apply of 200 registries). Synchronous: nothing here waits on the disk,
 * and 400 calls through the thread pool took 50-130 ms against a few ms.
 */
export function createDirs(dirs: readonly string[], mode: number): string[] {
  const created: string[] = [];
  for (const dir of dirs) {
    try {
      mkdirSync(dir, { mode });
    } catch (err) {
      if (errnoCode(err) !== 'EEXIST') throw ioError(dir, err, 'mkdir');
      continue;
    }
    created.push(dir);
    try {
      chmodSync(dir, mode);
    } catch (err) {
      throw ioError(dir, err, 'chmod');
    }
  }
  return created;
}

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch (err) {
    if (isAbsent(err)) return false;
    throw ioError(path, err, 'lstat');
  }
}

/**
 * Removes each of `dirs` that is empty, innermost first. Returns the ones that are gone; a directory someone
 * put files in is left alone.
 */
export async function removeEmptyDirs(dirs: readonly string[]): Promise<string[]> {
  const gone: string[] = [];
  for (const dir of [...dirs].sort((a, b) => b.length - a.length)) {
    try {
      await rmdir(dir);
    } catch (err) {
      const code = errnoCode(err);
      // A directory is recorded before its mkdir, which may have failed; on a read-only mount rmdir of a
      // path that is not there answers EROFS, not ENOENT: look before calling it an error.
      if (isAbsent(err) || !exists(dir)) gone.push(dir);
      else if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw ioError(dir, err, 'rmdir');
      continue;
    }
    await fsyncDir(dirname(dir));
    gone.push(dir);
  }
  return gone;
}

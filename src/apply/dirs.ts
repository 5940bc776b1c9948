// Directories the agent creates, and takes away again when it created them and they are empty.
import { chmod, lstat, mkdir, rmdir } from 'node:fs/promises';
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
 * refused, by apply and restore alike. A missing one is fine: apply creates it.
 */
export async function assertRealDirIfPresent(dir: string): Promise<void> {
  let isDir: boolean;
  try {
    isDir = (await lstat(dir)).isDirectory();
  } catch (err) {
    if (isAbsent(err)) return;
    throw ioError(dir, err, 'lstat');
  }
  if (!isDir)
    throw new AgentError('CMA_NOT_OWNED', 'is not a real directory (a symlink or a file); refusing to write or remove through it', {
      file: dir,
    });
}

/** `dir` and those of its ancestors that do not exist, outermost first: what creating `dir` would create. */
export async function missingDirs(dir: string): Promise<string[]> {
  const missing: string[] = [];
  for (let d = dir; ; d = dirname(d)) {
    try {
      await lstat(d);
      return missing;
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') throw ioError(d, err, 'lstat');
      missing.unshift(d);
    }
    if (dirname(d) === d) return missing;
  }
}

/** Creates `dirs` (outermost first) with exactly `mode`, which mkdir alone would reduce by the umask. */
export async function createDirs(dirs: readonly string[], mode: number): Promise<void> {
  for (const dir of dirs) {
    try {
      await mkdir(dir, { mode });
    } catch (err) {
      if (errnoCode(err) !== 'EEXIST') throw ioError(dir, err, 'mkdir');
      continue;
    }
    await chmod(dir, mode).catch((err: unknown) => {
      throw ioError(dir, err, 'chmod');
    });
    await fsyncDir(dirname(dir));
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
      if (isAbsent(err)) gone.push(dir);
      else if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw ioError(dir, err, 'rmdir');
      continue;
    }
    await fsyncDir(dirname(dir));
    gone.push(dir);
  }
  return gone;
}

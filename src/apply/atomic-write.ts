// The only way the agent puts bytes on disk (ARCHITECTURE.md, invariant 1): a reader, or a kill -9 at any
// instant, sees the complete old file or the complete new one, never a mix.
import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { errnoCode, ioError, isAbsent } from './io-error.js';

/** Every temp file starts with this, so the next run can tell a killed run's leftovers from anyone's files. */
export const TEMP_PREFIX = '.cma-tmp-';

/** A file's owner, kept when the agent puts someone's file back (the unit keeps CAP_CHOWN for this). */
export interface Owner {
  uid: number;
  gid: number;
}

export async function writeFileAtomic(path: string, content: string | Uint8Array, mode: number, owner?: Owner): Promise<void> {
  const dir = dirname(path);
  const temp = join(dir, `${TEMP_PREFIX}${basename(path)}-${process.pid}-${randomBytes(6).toString('hex')}`);
  let step = 'open';
  try {
    // 0600 until the content is complete: a half-written file that may hold a credential is never readable.
    const handle = await open(temp, 'wx', 0o600);
    try {
      step = 'write';
      await handle.writeFile(content);
      step = 'fsync';
      await handle.sync();
      // fchmod, unlike open's mode, is not reduced by the umask.
      // Before the mode: fchown clears setuid/setgid bits a backup may carry.
      if (owner !== undefined && (owner.uid !== process.geteuid?.() || owner.gid !== process.getegid?.())) {
        step = 'fchown';
        await handle.chown(owner.uid, owner.gid);
      }
      step = 'fchmod';
      await handle.chmod(mode);
    } finally {
      await handle.close();
    }
    step = 'rename';
    await rename(temp, path);
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw ioError(step === 'rename' ? path : temp, err, step);
  }
  await fsyncDir(dir);
}

/** Makes a rename or unlink in `dir` durable: without it a power loss can bring the old entry back. */
export async function fsyncDir(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch (err) {
    throw ioError(dir, err, 'fsync');
  }
}

/**
 * Removes temp files a killed run left in `dir`; a missing dir has none. Returns the removed paths. Looked for
 * synchronously (every apply looks in every registry dir, and almost always finds none: disk.ts says why).
 */
export async function removeStaleTemps(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    if (isAbsent(err)) return [];
    throw ioError(dir, err, 'scandir');
  }
  const removed: string[] = [];
  for (const name of names.filter((n) => n.startsWith(TEMP_PREFIX))) {
    const path = join(dir, name);
    try {
      await unlink(path);
      removed.push(path);
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') throw ioError(path, err, 'unlink');
    }
  }
  return removed;
}

// What is at a path, read without following symlinks: the ownership decision is made on exactly these bytes.
import { constants } from 'node:fs';
import { open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { isOwned, OWNER_MARKER } from '../ownership.js';
import { errnoCode, ioError, isAbsent } from './io-error.js';
import { IO_CONCURRENCY, mapLimit } from './parallel.js';

export type Found =
  | { kind: 'missing' }
  | { kind: 'file'; content: Buffer; mode: number; uid: number; gid: number; owned: boolean }
  /** A directory, a symlink, a device...: never read, written through or replaced. */
  | { kind: 'other' };

export async function inspect(path: string): Promise<Found> {
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    if (isAbsent(err)) return { kind: 'missing' };
    if (errnoCode(err) === 'ELOOP') return { kind: 'other' };
    throw ioError(path, err, 'open');
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) return { kind: 'other' };
    const content = await handle.readFile();
    const head = content.subarray(0, Buffer.byteLength(OWNER_MARKER) + 1).toString('utf8');
    return { kind: 'file', content, mode: stat.mode & 0o7777, uid: stat.uid, gid: stat.gid, owned: isOwned(head) };
  } catch (err) {
    throw ioError(path, err, 'read');
  } finally {
    await handle.close();
  }
}

/**
 * Owned `<hostsDir>/<registry>/<fileName>` files, found by looking, for when the manifest does not know them.
 * Paths in `known` are not read (the caller has just inspected them): a no-op reconcile then costs one
 * readdir here, not one read per registry. The rest are read several at a time.
 */
export async function ownedFilesIn(hostsDir: string, fileName: string, known: ReadonlySet<string> = new Set()): Promise<string[]> {
  const paths = (await subdirs(hostsDir)).map((dir) => join(dir, fileName)).filter((path) => !known.has(path));
  const found = await mapLimit(paths, IO_CONCURRENCY, inspect);
  return paths.filter((_, i) => {
    const f = found[i];
    return f?.kind === 'file' && f.owned;
  });
}

/** Real subdirectories (not symlinks) of `dir`; none when it does not exist. */
export async function subdirs(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    return entries.filter((e) => e.isDirectory()).map((e) => join(dir, e.name));
  } catch (err) {
    if (isAbsent(err)) return [];
    throw ioError(dir, err, 'scandir');
  }
}

// What is at a path, read without following symlinks: the ownership decision is made on exactly these bytes.
//
// Read synchronously, like everything apply decides before it writes: the hosts and state dirs are node-local
// and their files a few KiB, and a no-op reconcile of 200 registries reads them in ~5 ms this way against
// ~25 ms through libuv's thread pool, where each of its ~1 400 calls pays a thread hop and a promise (docs/development.md,
// "Footprint"). Writes, which wait on fsync, stay asynchronous.
import { closeSync, constants, fstatSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isOwned, OWNER_MARKER } from '../ownership.js';
import { errnoCode, ioError, isAbsent } from './io-error.js';

export type Found =
  | { kind: 'missing' }
  | { kind: 'file'; content: Buffer; mode: number; uid: number; gid: number; owned: boolean }
  /** A directory, a symlink, a device...: never read, written through or replaced. */
  | { kind: 'other' };

export function inspect(path: string): Found {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    if (isAbsent(err)) return { kind: 'missing' };
    if (errnoCode(err) === 'ELOOP') return { kind: 'other' };
    throw ioError(path, err, 'open');
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) return { kind: 'other' };
    const content = readFileSync(fd);
    const head = content.subarray(0, Buffer.byteLength(OWNER_MARKER) + 1).toString('utf8');
    return { kind: 'file', content, mode: stat.mode & 0o7777, uid: stat.uid, gid: stat.gid, owned: isOwned(head) };
  } catch (err) {
    throw ioError(path, err, 'read');
  } finally {
    closeSync(fd);
  }
}

/**
 * Owned `<hostsDir>/<registry>/<fileName>` files, found by looking, for when the manifest does not know them.
 * Paths in `known` are not read (the caller has just inspected them): a no-op reconcile then costs one
 * readdir here, not one read per registry.
 */
export function ownedFilesIn(hostsDir: string, fileName: string, known: ReadonlySet<string> = new Set()): string[] {
  return subdirs(hostsDir)
    .map((dir) => join(dir, fileName))
    .filter((path) => {
      if (known.has(path)) return false;
      const found = inspect(path);
      return found.kind === 'file' && found.owned;
    });
}

/** Real subdirectories (not symlinks) of `dir`; none when it does not exist. */
export function subdirs(dir: string): string[] {
  try {
    const entries = readdirSync(dir, { withFileTypes: true });
    return entries.filter((e) => e.isDirectory()).map((e) => join(dir, e.name));
  } catch (err) {
    if (isAbsent(err)) return [];
    throw ioError(dir, err, 'scandir');
  }
}

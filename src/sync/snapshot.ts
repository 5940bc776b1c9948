// Reads what the --from directories hold right now. A kubelet volume is read through the one `..<timestamp>`
// directory `..data` points at, so a swap during the read can never mix two generations: the read is retried
// when that directory vanished or `..data` moved on. A plain directory is read as it is.
import { lstat, readdir, readFile, readlink, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { AgentError } from '../errors.js';
import { hostMode } from './classify.js';
import { errnoCode, isAbsent } from '../apply/io-error.js';
import { syncIoError } from './sync-io-error.js';
import { isReservedName, type SyncFile } from './set.js';

export interface SourcedFile extends SyncFile {
  /** The user-visible path it came from, `<from>/<key>`, for error messages. */
  source: string;
}

const SWAP_RETRIES = 10;

class SwappedDuringRead extends Error {}

async function dataTarget(dir: string): Promise<string | undefined> {
  try {
    return await readlink(join(dir, '..data'));
  } catch (err) {
    if (isAbsent(err) || errnoCode(err) === 'EINVAL') return undefined;
    throw syncIoError(join(dir, '..data'), err, 'readlink');
  }
}

async function readGeneration(dir: string, base: string): Promise<Map<string, SourcedFile>> {
  const files = new Map<string, SourcedFile>();
  let names: string[];
  try {
    names = await readdir(base);
  } catch (err) {
    if (base !== dir && isAbsent(err)) throw new SwappedDuringRead();
    throw syncIoError(base, err, 'scandir');
  }
  for (const key of names.filter((n) => !isReservedName(n)).sort()) {
    const path = join(base, key);
    try {
      // Through symlinks: in a plain directory a key may itself be a link (a hand-made mirror of a volume).
      const info = await stat(path);
      // Nested `items[].path` entries are directories: the host agent reads flat directories only.
      if (!info.isFile()) continue;
      const bytes = await readFile(path);
      files.set(key, { bytes, mode: hostMode(key, bytes, info.mode), source: join(dir, key) });
    } catch (err) {
      if (!isAbsent(err)) throw syncIoError(path, err, 'read');
      // Gone between listing and reading: a swap (volume) or an edit (plain directory). Read again.
      if (
        base !== dir ||
        (await lstat(path).then(
          () => true,
          () => false,
        )) === false
      )
        throw new SwappedDuringRead();
    }
  }
  return files;
}

async function readSourceDir(dir: string): Promise<Map<string, SourcedFile>> {
  for (let attempt = 0; ; attempt++) {
    const before = await dataTarget(dir);
    try {
      const files = await readGeneration(dir, before === undefined ? dir : resolve(dir, before));
      if ((await dataTarget(dir)) === before) return files;
    } catch (err) {
      if (!(err instanceof SwappedDuringRead)) throw err;
    }
    if (attempt >= SWAP_RETRIES) {
      throw new AgentError('CMA_SYNC_IO', `the directory kept changing during ${SWAP_RETRIES} reads in a row`, { file: dir });
    }
  }
}

/** Every --from directory's files; a later --from wins on the same key. */
export async function readSnapshot(froms: readonly string[]): Promise<Map<string, SourcedFile>> {
  const merged = new Map<string, SourcedFile>();
  for (const dir of froms) {
    try {
      if (!(await stat(dir)).isDirectory())
        throw new AgentError('CMA_USAGE', 'a --from path must be a directory (a mounted ConfigMap or Secret)', { file: dir });
    } catch (err) {
      throw syncIoError(dir, err, 'stat');
    }
    for (const [key, file] of await readSourceDir(dir)) merged.set(key, file);
  }
  return merged;
}

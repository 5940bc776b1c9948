// HOSTDIR laid out and updated the way the kubelet's AtomicWriter updates a Secret volume
// (kubernetes pkg/volume/util/atomic_writer.go): `key -> ..data/key`, `..data -> ..<timestamp>/`. Renaming
// `..data_tmp` over `..data` is the one step a reader can see, so a reader (or a kill -9) only ever finds the
// complete old set or the complete new one.
import { chmod, lstat, mkdir, mkdtemp, open, readdir, readFile, readlink, rename, rm, stat, symlink, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fsyncDir } from '../apply/atomic-write.js';
import { AgentError } from '../errors.js';
import { errnoCode, isAbsent } from '../apply/io-error.js';
import { syncIoError } from './sync-io-error.js';
import { isReservedName, type SyncFile, type SyncSet } from './set.js';

const DATA = '..data';
const DATA_TMP = '..data_tmp';

async function io<T>(path: string, syscall: string, op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err) {
    throw syncIoError(path, err, syscall);
  }
}

async function readlinkOrUndefined(path: string): Promise<string | undefined> {
  try {
    return await readlink(path);
  } catch (err) {
    if (isAbsent(err) || errnoCode(err) === 'EINVAL') return undefined;
    throw syncIoError(path, err, 'readlink');
  }
}

/** The set `..data` points at now (empty before the first publish), and the name of its directory. */
export async function readPublished(hostDir: string): Promise<{ generation: string | undefined; set: Map<string, SyncFile> }> {
  const generation = await readlinkOrUndefined(join(hostDir, DATA));
  const set = new Map<string, SyncFile>();
  if (generation === undefined) return { generation, set };
  const dir = resolve(hostDir, generation);
  // Only this process swaps `..data`, so the generation cannot vanish while we read it.
  for (const key of await io(dir, 'scandir', () => readdir(dir))) {
    const path = join(dir, key);
    const info = await io(path, 'stat', () => stat(path));
    if (info.isFile()) set.set(key, { bytes: await io(path, 'read', () => readFile(path)), mode: info.mode & 0o7777 });
  }
  return { generation, set };
}

// Go's "..2006_01_02_15_04_05." followed by a random suffix, as the kubelet names its generations.
function generationPrefix(now: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `..${now.getUTCFullYear()}_${p(now.getUTCMonth() + 1)}_${p(now.getUTCDate())}_${p(now.getUTCHours())}_${p(now.getUTCMinutes())}_${p(now.getUTCSeconds())}.`;
}

/** Writes `set` into a new, not yet visible generation directory and makes it durable. Returns its path. */
export async function stage(hostDir: string, set: SyncSet, now: Date): Promise<string> {
  await io(hostDir, 'mkdir', () => mkdir(hostDir, { recursive: true }));
  const dir = await io(hostDir, 'mkdtemp', () => mkdtemp(join(hostDir, generationPrefix(now))));
  await io(dir, 'chmod', () => chmod(dir, 0o755));
  for (const [key, file] of set) {
    const path = join(dir, key);
    // 0600 until complete: a half-written credential is never readable by others.
    const handle = await io(path, 'open', () => open(path, 'wx', 0o600));
    try {
      await io(path, 'write', () => handle.writeFile(file.bytes));
      await io(path, 'fsync', () => handle.sync());
      await io(path, 'fchmod', () => handle.chmod(file.mode));
    } finally {
      await handle.close();
    }
  }
  await fsyncDir(dir);
  return dir;
}

/** The one visible step: `..data` now names `generation`. Durable when it returns. */
export async function swap(hostDir: string, generation: string, keys: Iterable<string>): Promise<void> {
  // Key links first, dangling until the swap, as the kubelet does: after the swap every key resolves.
  for (const key of keys) await ensureKeyLink(hostDir, key);
  const tmp = join(hostDir, DATA_TMP);
  await io(tmp, 'unlink', () => rm(tmp, { force: true }));
  await io(tmp, 'symlink', () => symlink(generation.slice(hostDir.length + 1), tmp));
  await io(join(hostDir, DATA), 'rename', () => rename(tmp, join(hostDir, DATA)));
  await fsyncDir(hostDir);
}

async function ensureKeyLink(hostDir: string, key: string): Promise<void> {
  const path = join(hostDir, key);
  const target = await readlinkOrUndefined(path);
  if (target === join(DATA, key)) return;
  if (
    target === undefined &&
    (await lstat(path).then(
      () => true,
      () => false,
    ))
  ) {
    throw new AgentError('CMA_SYNC_IO', `the key "${key}" is taken by a file or directory the sync did not create; remove it`, {
      file: path,
    });
  }
  if (target !== undefined) await io(path, 'unlink', () => unlink(path));
  await io(path, 'symlink', () => symlink(join(DATA, key), path));
}

/**
 * Makes the directory hold exactly the current generation: key links for its keys and nothing else of ours.
 * Removes what a replaced generation, a rejected staging or a killed run left behind. Returns removed names.
 */
export async function tidy(hostDir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(hostDir);
  } catch (err) {
    if (isAbsent(err)) return [];
    throw syncIoError(hostDir, err, 'scandir');
  }
  const generation = await readlinkOrUndefined(join(hostDir, DATA));
  const current =
    generation === undefined ? new Set<string>() : new Set(await io(hostDir, 'scandir', () => readdir(resolve(hostDir, generation))));
  const removed: string[] = [];
  for (const name of names) {
    const path = join(hostDir, name);
    if (name === DATA || name === generation) continue;
    if (isReservedName(name)) {
      await io(path, 'rm', () => rm(path, { recursive: true, force: true }));
      removed.push(name);
      continue;
    }
    const target = await readlinkOrUndefined(path);
    if (target === join(DATA, name) && !current.has(name)) {
      await io(path, 'unlink', () => unlink(path));
      removed.push(name);
    }
  }
  for (const key of current) await ensureKeyLink(hostDir, key);
  if (removed.length > 0) await fsyncDir(hostDir);
  return removed;
}

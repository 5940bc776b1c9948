// A Secret/ConfigMap volume laid out and updated exactly as the kubelet's AtomicWriter does
// (kubernetes pkg/volume/util/atomic_writer.go), so tests exercise the real sequence of filesystem
// events a watcher sees on a node: never a hand-rolled approximation of it.
import { mkdir, mkdtemp, readdir, readlink, rename, rm, symlink, writeFile, chmod } from 'node:fs/promises';
import { join } from 'node:path';

const DATA_DIR = '..data';
const NEW_DATA_DIR = '..data_tmp';

export interface KubeletVolume {
  /** The mount point: what a pod (and `--config`) sees. */
  readonly dir: string;
  /** The user-visible path of a key (`<dir>/<key>`, a symlink to `..data/<key>`). */
  path(key: string): string;
  /** One AtomicWriter.Write: the new payload replaces the whole volume content. */
  swap(files: Record<string, string>): Promise<void>;
}

function validateKeys(files: Record<string, string>): void {
  for (const key of Object.keys(files)) {
    // Keys are flat here; `..`-prefixed names are reserved by the AtomicWriter.
    if (key === '' || key.includes('/') || key.startsWith('..')) throw new Error(`kubelet-volume: invalid key ${JSON.stringify(key)}`);
  }
}

// Go's time format "..2006_01_02_15_04_05." followed by MkdirTemp's random suffix.
function timestampPrefix(now: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `..${now.getUTCFullYear()}_${p(now.getUTCMonth() + 1)}_${p(now.getUTCDate())}_${p(now.getUTCHours())}_${p(now.getUTCMinutes())}_${p(now.getUTCSeconds())}.`;
}

async function readlinkOrUndefined(path: string): Promise<string | undefined> {
  try {
    return await readlink(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

async function write(dir: string, files: Record<string, string>): Promise<void> {
  validateKeys(files);
  const dataDirPath = join(dir, DATA_DIR);
  // (2) current timestamped dir, (3) user-visible paths that the new payload drops
  const oldTsDir = await readlinkOrUndefined(dataDirPath);
  const toRemove = oldTsDir === undefined ? [] : (await readdir(join(dir, oldTsDir))).filter((k) => !(k in files));
  // (5) new timestamped dir, 0755 regardless of umask
  const tsDir = await mkdtemp(join(dir, timestampPrefix(new Date())));
  await chmod(tsDir, 0o755);
  // (6) payload into it
  for (const [key, content] of Object.entries(files)) {
    await writeFile(join(tsDir, key), content, { mode: 0o644 });
    await chmod(join(tsDir, key), 0o644);
  }
  // (7) user-visible symlinks for new keys, created before the swap (they dangle until it)
  for (const key of Object.keys(files)) {
    if ((await readlinkOrUndefined(join(dir, key))) === undefined) await symlink(join(DATA_DIR, key), join(dir, key));
  }
  // (8) ..data_tmp -> new dir, (9) renamed over ..data: the one atomic step
  const tsDirName = tsDir.slice(dir.length + 1);
  await symlink(tsDirName, join(dir, NEW_DATA_DIR));
  await rename(join(dir, NEW_DATA_DIR), dataDirPath);
  // (10) old user-visible paths, (11) previous timestamped dir
  for (const key of toRemove) await rm(join(dir, key));
  if (oldTsDir !== undefined) await rm(join(dir, oldTsDir), { recursive: true });
}

/** Creates (or takes over an empty) `dir` as a kubelet volume holding `files`. */
export async function createKubeletVolume(dir: string, files: Record<string, string>): Promise<KubeletVolume> {
  await mkdir(dir, { recursive: true });
  await write(dir, files);
  return {
    dir,
    path: (key) => join(dir, key),
    swap: (next) => write(dir, next),
  };
}

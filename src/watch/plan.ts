// Which directories to watch, and which entries in each, for a set of config/credential paths.
//
// Never a file path: a kubelet volume replaces `..data` and deletes the directory the file lived in, and an
// editor renames a new inode over the old one; a watch on the old inode sees neither reliably. A watch on
// the containing directory (depth 0, symlinks not followed) sees every create, write, rename and remove.
import { realpath, stat } from 'node:fs/promises';
import { basename, dirname, relative, resolve, sep } from 'node:path';

/** The kubelet's atomic-swap symlink; its target changes on every Secret/ConfigMap update. */
const KUBELET_DATA = '..data';

export interface WatchPlan {
  /** Per watched directory: every entry in it, or only these names. Its keys are the chokidar roots. */
  readonly entries: ReadonlyMap<string, ReadonlySet<string> | 'all'>;
  /** Changes when the watcher must be rebuilt: a directory appeared, vanished or was replaced. */
  readonly signature: string;
}

type Entries = Map<string, Set<string> | 'all'>;

function addName(entries: Entries, dir: string, name: string): void {
  const current = entries.get(dir);
  if (current === 'all') return;
  if (current === undefined) entries.set(dir, new Set([name]));
  else current.add(name);
}

async function statOrUndefined(path: string): Promise<import('node:fs').Stats | undefined> {
  try {
    return await stat(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // Absent now (mid-swap, not created yet, a parent that is a file): watch for it to appear.
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw err;
  }
}

async function planOne(entries: Entries, source: string): Promise<void> {
  const st = await statOrUndefined(source);
  const parent = dirname(source);
  if (st?.isDirectory() === true) {
    entries.set(source, 'all');
    // The parent sees the directory itself being removed or replaced.
    addName(entries, parent, basename(source));
    return;
  }
  if (st !== undefined) {
    addName(entries, parent, basename(source));
    addName(entries, parent, KUBELET_DATA);
    // A symlink to a file elsewhere: watch that directory too. Not for a kubelet key, whose target lives in
    // a `..<timestamp>` directory that each swap replaces (`..data`, watched above, covers it).
    const real = await realpath(source).catch(() => undefined);
    const first = real === undefined ? '' : relative(parent, real).split(sep)[0]!;
    const inKubeletData = first.startsWith('..') && first !== '..';
    if (real !== undefined && real !== source && !inKubeletData) addName(entries, dirname(real), basename(real));
    return;
  }
  // Missing: watch the nearest existing ancestor for the next component to appear.
  let child = source;
  for (let dir = parent; ; child = dir, dir = dirname(dir)) {
    const dst = await statOrUndefined(dir);
    if (dst?.isDirectory() === true) {
      addName(entries, dir, basename(child));
      if (dir === parent) addName(entries, dir, KUBELET_DATA);
      return;
    }
    if (dir === dirname(dir)) return;
  }
}

export async function planWatches(sources: readonly string[]): Promise<WatchPlan> {
  const entries: Entries = new Map();
  for (const source of sources) await planOne(entries, resolve(source));
  const parts: string[] = [];
  // Code-unit order: deterministic like localeCompare, without loading ICU's collation data (3 MiB of RSS).
  for (const [dir, names] of [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const st = await statOrUndefined(dir);
    const id = st === undefined ? 'gone' : `${st.dev}:${st.ino}`;
    parts.push(`${dir}@${id}=${names === 'all' ? '*' : [...names].sort().join('/')}`);
  }
  return { entries, signature: parts.join('\n') };
}

/** True for a watched directory itself and for the entries of interest in it. */
export function isWatched(plan: WatchPlan, path: string): boolean {
  if (plan.entries.has(path)) return true;
  const names = plan.entries.get(dirname(path));
  return names === 'all' || (names !== undefined && names.has(basename(path)));
}

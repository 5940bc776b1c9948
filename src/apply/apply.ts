// The one writer of the hosts dir (ARCHITECTURE.md, invariants 1, 3 and 4): diff the rendered tree against
// disk, back up what we take over, write what changed, hand back what is no longer rendered.
import { statSync } from 'node:fs';
import { chmod } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { AgentError, AgentErrors } from '../errors.js';
import { shadowingDirName } from '../hosts-lookup.js';
import type { RenderedFile, RenderedTree } from '../model.js';
import { IO_CONCURRENCY, mapLimit } from './parallel.js';
import { fsyncDir, writeFileAtomic } from './atomic-write.js';
import { assertRealDirIfPresent, createDirs, ensureDir, missingDirs, removeEmptyDirs } from './dirs.js';
import { inspect, ownedFilesIn, type Found } from './disk.js';
import { ioError, isAbsent } from './io-error.js';
import { backupPath, loadManifest, saveManifest, type LoadedManifest } from './manifest.js';
import { assertIsBackup, backupOf, dropBackup, releasePath } from './release.js';
import { removeTempsEverywhere } from './temps.js';

export interface ApplyOptions {
  hostsDir: string;
  stateDir: string;
}

export interface ApplyResult {
  /** Written or chmod-ed because content or mode differed. */
  written: string[];
  /** Owned files no longer rendered, removed (nothing was there before the agent). */
  removed: string[];
  /** Someone's files copied under the state dir before the agent took them over, in this run. */
  backedUp: string[];
  /** Files no longer rendered whose backup was put back. */
  restored: string[];
  /** Already byte- and mode-identical: not touched at all. */
  unchanged: string[];
}

/** Thrown when some paths failed; every other path was still applied, as `result` says. */
export class ApplyErrors extends AgentErrors {
  readonly result: ApplyResult;

  constructor(errors: readonly AgentError[], result: ApplyResult) {
    super(errors);
    this.name = 'ApplyErrors';
    this.result = result;
  }
}

type Action = { path: string; file: RenderedFile; dirsToCreate: string[] } & (
  { kind: 'unchanged' } | { kind: 'chmod' } | { kind: 'write'; takeOver?: Found & { kind: 'file' } }
);

const DIR_MODE = 0o755;

export async function applyTree(tree: RenderedTree, options: ApplyOptions): Promise<ApplyResult> {
  const hostsDir = resolve(options.hostsDir);
  const { stateDir } = options;
  const result: ApplyResult = { written: [], removed: [], backedUp: [], restored: [], unchanged: [] };
  const errors: AgentError[] = [];
  const fail = (err: unknown): void => {
    errors.push(err instanceof AgentError ? err : new AgentError('CMA_APPLY_IO', String(err)));
  };

  let loaded = await loadManifest(stateDir);
  const files = loaded.manifest.files;
  await removeTempsEverywhere(hostsDir, stateDir, Object.keys(files));

  // 1. Decide, reading only (synchronously: disk.ts says why). A path that cannot be decided fails alone.
  const sorted = [...tree].sort(([a], [b]) => (a < b ? -1 : 1));
  const actions: Action[] = [];
  for (const [path, file] of sorted) {
    try {
      actions.push(plan(hostsDir, path, file));
    } catch (err) {
      fail(err);
    }
  }

  // 2. Record before acting: backups and the manifest entries and directories they belong to reach disk
  //    before any hosts file changes, so a kill at any point leaves nothing the next run cannot hand back.
  const ready: Action[] = [];
  for (const action of actions) {
    try {
      if (action.kind === 'write' && action.takeOver !== undefined) {
        await takeOverBackup(stateDir, action.path, action.takeOver, loaded);
        result.backedUp.push(action.path);
      }
      files[action.path] ??= { before: 'absent' };
      loaded.manifest.dirs.push(...action.dirsToCreate);
      ready.push(action);
    } catch (err) {
      fail(err);
    }
  }
  loaded = await saveOrThrow(stateDir, loaded, errors, result);

  // 3. Act: directories one at a time (actions may share the hosts dir itself), their parents made durable
  //    once each, then the files, each its own atomic write, several in flight.
  //    The files a hosts.toml names (copied ca and client files) go first: containerd never reads a
  //    hosts.toml that names a file not there yet.
  const placed = await createAllDirs(ready, fail);
  const act = (batch: readonly Action[]) =>
    mapLimit(batch, IO_CONCURRENCY, async (action) => {
      try {
        if (action.kind === 'unchanged') return 'unchanged';
        if (action.kind === 'chmod') await chmodOrThrow(action.path, action.file.mode);
        else await writeFileAtomic(action.path, action.file.content, action.file.mode);
        return 'written';
      } catch (err) {
        fail(err);
        return 'failed';
      }
    });
  const isHostsToml = (action: Action): boolean => basename(action.path) === 'hosts.toml';
  const outcomes = new Map<Action, string>();
  for (const batch of [placed.filter((a) => !isHostsToml(a)), placed.filter(isHostsToml)])
    (await act(batch)).forEach((o, i) => outcomes.set(batch[i]!, o));
  for (const action of placed) {
    if (outcomes.get(action) === 'unchanged') result.unchanged.push(action.path);
    if (outcomes.get(action) === 'written') result.written.push(action.path);
  }

  // 4. Hand back what is no longer rendered: known to the manifest (any hosts dir it was in) or found owned here.
  const fileNames = new Set([...tree.keys()].map((p) => basename(p)).concat('hosts.toml'));
  const rendered = new Set(tree.keys());
  const found = [...fileNames].flatMap((n) => ownedFilesIn(hostsDir, n, rendered));
  const stale = [...new Set([...Object.keys(files), ...found])].filter((p) => !tree.has(p)).sort();
  const released: string[] = [];
  for (const path of stale) {
    try {
      const outcome = await releasePath(path, files[path], stateDir);
      if (outcome === 'removed') result.removed.push(path);
      if (outcome === 'restored') result.restored.push(path);
      released.push(path);
    } catch (err) {
      fail(err);
    }
  }
  for (const path of released) delete files[path];
  const neededDirs = new Set([...tree.keys()].flatMap((p) => ancestors(dirname(p))));
  const gone = new Set(
    await removeEmptyDirs(loaded.manifest.dirs.filter((d) => !neededDirs.has(d))).catch((err: unknown) => {
      fail(err);
      return [];
    }),
  );
  loaded.manifest.dirs = loaded.manifest.dirs.filter((d) => !gone.has(d));
  await saveOrThrow(stateDir, loaded, errors, result);
  // The manifest no longer names them: a kill before this line leaves an orphan backup, never a lost one.
  for (const path of released) await dropBackup(stateDir, path).catch(fail);

  // Paths are written several at a time: report in path order, whatever finished first.
  if (errors.length > 0)
    throw new ApplyErrors(
      errors.sort((a, b) => (a.file ?? '').localeCompare(b.file ?? '')),
      result,
    );
  return result;
}

function plan(hostsDir: string, path: string, file: RenderedFile): Action {
  if (!isAbsolute(path) || resolve(path) !== path || dirname(dirname(path)) !== hostsDir) {
    throw new AgentError('CMA_APPLY_IO', `not a ${hostsDir}/<registry>/<file> path; refusing to write it`, { file: path });
  }
  const dir = dirname(path);
  const present = assertRealDirIfPresent(dir);
  assertNotShadowed(hostsDir, dir);
  const dirsToCreate = present ? [] : missingDirs(dir);
  const found = present ? inspect(path) : ({ kind: 'missing' } as const);
  const base = { path, file, dirsToCreate };
  if (found.kind === 'missing') return { ...base, kind: 'write' };
  if (found.kind === 'other') {
    throw new AgentError('CMA_NOT_OWNED', 'is not a regular file (a directory or a symlink); refusing to replace it', { file: path });
  }
  if (found.owned) {
    if (!found.content.equals(Buffer.from(file.content, 'utf8'))) return { ...base, kind: 'write' };
    return { ...base, kind: found.mode === file.mode ? 'unchanged' : 'chmod' };
  }
  return { ...base, kind: 'write', takeOver: found };
}

/**
 * containerd reads `<host>_<port>_` before `<host>:<port>` (hosts-lookup.ts): with anything there, the file the
 * agent writes would never be read while it reports success. Someone's directory may hold certificates their
 * pulls need, so it is not taken over: the path fails, loudly, until it is moved away.
 */
function assertNotShadowed(hostsDir: string, dir: string): void {
  const name = shadowingDirName(basename(dir));
  if (name === undefined) return;
  const shadow = join(hostsDir, name);
  try {
    // stat, not lstat: containerd follows a symlink there. No throw for the usual ENOENT: an exception per
    // registry was a third of a no-op reconcile's decision.
    if (statSync(shadow, { throwIfNoEntry: false }) === undefined) return;
  } catch (err) {
    if (isAbsent(err)) return;
  }
  throw new AgentError(
    'CMA_SHADOWED',
    `exists, and containerd reads it instead of ${join(dir, 'hosts.toml')}; move what it holds into the agent config (certificates into ${dir}), then remove it`,
    { file: shadow },
  );
}

/**
 * Backs up someone's file once: a recorded backup is never overwritten (see assertIsBackup). A backup file the
 * manifest does not name is a killed run's leftover and is replaced.
 */
async function takeOverBackup(stateDir: string, path: string, found: Found & { kind: 'file' }, loaded: LoadedManifest): Promise<void> {
  const existing = await backupOf(stateDir, path, loaded.manifest.files[path]);
  if (existing !== undefined) return assertIsBackup(stateDir, path, found, existing);
  const target = backupPath(stateDir, path);
  await ensureDir(dirname(target), 0o700);
  await writeFileAtomic(target, found.content, 0o600);
  loaded.manifest.files[path] = { before: 'backup', mode: found.mode, uid: found.uid, gid: found.gid };
}

/** Creates each action's directories; an action whose directory could not be created or made durable fails alone. */
async function createAllDirs(actions: readonly Action[], fail: (err: unknown) => void): Promise<Action[]> {
  const placed: Array<{ action: Action; parents: string[] }> = [];
  for (const action of actions) {
    try {
      placed.push({ action, parents: createDirs(action.dirsToCreate, DIR_MODE).map((d) => dirname(d)) });
    } catch (err) {
      fail(err);
    }
  }
  const unsynced = new Set<string>();
  for (const parent of new Set(placed.flatMap((p) => p.parents))) {
    await fsyncDir(parent).catch((err: unknown) => {
      fail(err);
      unsynced.add(parent);
    });
  }
  return placed.filter((p) => !p.parents.some((d) => unsynced.has(d))).map((p) => p.action);
}

async function saveOrThrow(stateDir: string, loaded: LoadedManifest, errors: AgentError[], result: ApplyResult): Promise<LoadedManifest> {
  try {
    return await saveManifest(stateDir, loaded);
  } catch (err) {
    throw new ApplyErrors([...errors, err instanceof AgentError ? err : new AgentError('CMA_APPLY_IO', String(err))], result);
  }
}

async function chmodOrThrow(path: string, mode: number): Promise<void> {
  try {
    await chmod(path, mode);
  } catch (err) {
    throw ioError(path, err, 'chmod');
  }
}

function ancestors(dir: string): string[] {
  const out: string[] = [];
  for (let d = dir; dirname(d) !== d; d = dirname(d)) out.push(d);
  return out;
}

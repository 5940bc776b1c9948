// Reads config.toml, plans the edit and writes it: a backup of the operator's original first (once), then
// an atomic replace. Returns the plan so the caller can hand the bytes to the restart policy.
import { chmod, lstat, mkdir, readdir, readFile, realpath, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { AgentError } from '../errors.js';
import { FileReadError, readRegularFile } from '../regular-file.js';
import type { AgentConfig, ContainerdFacts } from '../model.js';
import { writeFileAtomic } from '../apply/atomic-write.js';
import { containerdAuths } from './auths.js';
import { planContainerdConfig, type ContainerdConfigPlan } from './config-toml.js';
import { checkImports } from './imports.js';
import { checkContainerdLoads } from './loadable.js';
import { parseTomlSafely } from './toml-text.js';

export const CONFIG_BACKUP_FILE = 'containerd-config.toml.orig';
/** The config_path values the agent set in config.toml, one a line, so a later change of hostsDir may move them. */
const CONFIG_PATH_FILE = 'containerd-config-path';

export interface CurrentConfig {
  /** The file actually written: a symlinked config.toml is edited at its target, the link stays. */
  path: string;
  content: string | undefined;
  mode: number | undefined;
}

/**
 * The largest config.toml the agent reads: containerd's own default is under 10 KiB and a busy node's a few
 * times that. Past it the file is refused, not parsed: a 22 MB one took the agent out of its 64 MB heap
 * (every apply after the first aborted).
 */
export const CONTAINERD_CONFIG_MAX_BYTES = 1024 * 1024;

export async function readContainerdConfig(path: string): Promise<CurrentConfig> {
  let real: string;
  try {
    real = await realpath(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { path, content: undefined, mode: undefined };
    throw ioError(path, 'cannot be read', err);
  }
  let bytes: Buffer;
  try {
    bytes = await readRegularFile(real, CONTAINERD_CONFIG_MAX_BYTES);
  } catch (err) {
    if (err instanceof FileReadError && err.errno === 'EFBIG')
      throw new AgentError(
        'CMA_CONTAINERD_CONFIG',
        `is larger than ${CONTAINERD_CONFIG_MAX_BYTES} bytes (1 MiB); containerd's config.toml is a few KiB: the agent does not read or edit one this large`,
        { file: path },
      );
    throw ioError(path, 'cannot be read', err);
  }
  try {
    return { path: real, content: bytes.toString('utf8'), mode: (await stat(real)).mode & 0o7777 };
  } catch (err) {
    throw ioError(path, 'cannot be read', err);
  }
}

export interface SyncOptions {
  path: string;
  stateDir: string;
  hostsDir: string;
  config: AgentConfig;
  facts: ContainerdFacts;
  /** The containerd that is asked whether it can load the edited file (default: `containerd` on PATH). */
  containerdBinary?: string;
}

/** A directory a list config_path named and the edit left out, with the registry dirs it holds. */
export interface DroppedDir {
  dir: string;
  hosts: string[];
}

export type UpdatedConfig = ContainerdConfigPlan & {
  written: boolean;
  dropped: DroppedDir[];
  /** Why containerd was not asked whether it can load the written file (loadable.ts). */
  unchecked?: string;
};

/** Makes config.toml right. `written` is false when it already was: nothing was touched. */
export async function updateContainerdConfig(options: SyncOptions): Promise<UpdatedConfig> {
  const current = await readContainerdConfig(options.path);
  const ownedConfigPaths = await readOwnedConfigPaths(options.stateDir);
  const auths = containerdAuths(options.config);
  const plan = planContainerdConfig({
    path: options.path,
    current: current.content,
    currentMode: current.mode,
    hostsDir: options.hostsDir,
    ownedConfigPaths,
    auths,
    facts: options.facts,
  });
  // A drop-in that wins over this file makes any edit here a success containerd never sees.
  await checkImports(current.path, parseTomlSafely(plan.content, options.path), options.hostsDir, auths.size > 0, options.facts);
  // Before any edit (and so before any restart): an operator's file containerd cannot load stays as it is.
  const unchecked =
    plan.changed && current.content !== undefined
      ? await checkContainerdLoads(current.path, plan.content, options.containerdBinary)
      : undefined;
  try {
    if (plan.changed) {
      // containerd must never be left pointing at a directory that does not exist.
      await mkdir(options.hostsDir, { recursive: true, mode: 0o755 });
      if (current.content !== undefined) await backupOnce(current.path, options.stateDir);
      await mkdir(dirname(current.path), { recursive: true, mode: 0o755 });
      // Recorded first, the old one kept: whether a kill lands before or after the write, the config_path in
      // the file is one the agent knows it set.
      if (plan.configPathChanged) await recordOwnedConfigPaths(options.stateDir, [...ownedConfigPaths, options.hostsDir]);
      await writeFileAtomic(current.path, plan.content, plan.mode);
    } else if (current.mode !== plan.mode) {
      await chmod(current.path, plan.mode);
    }
  } catch (err) {
    throw ioError(options.path, 'cannot be written', err);
  }
  return {
    ...plan,
    written: plan.changed,
    ...(unchecked === undefined ? {} : { unchecked }),
    dropped: await Promise.all(plan.droppedDirs.map(async (dir) => ({ dir, hosts: await registryDirs(dir) }))),
  };
}

/** Registry dirs under a hosts dir; none when it cannot be read (it may never have existed). */
async function registryDirs(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { withFileTypes: true }))
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
  } catch {
    return [];
  }
}

/**
 * The operator's file as it was before the agent's first edit; later edits never replace it. Written like
 * every other file (temp, fsync, rename): a copy killed halfway would otherwise stay "the backup" for good.
 * Only this process writes the state dir (state-claim.ts), so nothing appears between the check and the rename.
 */
export async function backupOnce(path: string, stateDir: string): Promise<void> {
  const backup = join(stateDir, CONFIG_BACKUP_FILE);
  try {
    await lstat(backup);
    return;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  // 0600 whatever the original's mode: it may hold the operator's own registry passwords.
  await writeFileAtomic(backup, await readFile(path), 0o600);
}

async function readOwnedConfigPaths(stateDir: string): Promise<string[]> {
  try {
    return (await readFile(join(stateDir, CONFIG_PATH_FILE), 'utf8')).split('\n').filter((line) => line !== '');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw ioError(join(stateDir, CONFIG_PATH_FILE), 'cannot be read', err);
  }
}

/** The last two are enough: the one in the file and the one replacing it. */
async function recordOwnedConfigPaths(stateDir: string, paths: readonly string[]): Promise<void> {
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  await writeFileAtomic(
    join(stateDir, CONFIG_PATH_FILE),
    [...new Set(paths)]
      .slice(-2)
      .map((p) => `${p}\n`)
      .join(''),
    0o600,
  );
}

function ioError(file: string, what: string, err: unknown): AgentError {
  const why = err instanceof FileReadError ? err.reason : ((err as NodeJS.ErrnoException).code ?? (err as Error).message);
  return new AgentError('CMA_CONTAINERD_CONFIG_IO', `${what}: ${why}`, {
    file,
    cause: err,
  });
}

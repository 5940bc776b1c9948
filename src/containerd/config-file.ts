// Reads config.toml, plans the edit and writes it: the operator's original kept first (once), then an
// atomic replace; and gives the original back for `restore`. Returns what containerd now reads, for the
// restart policy.
import { chmod, mkdir, readdir, readFile, realpath, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { AgentError } from '../errors.js';
import { FileReadError, readRegularFile } from '../regular-file.js';
import type { AgentConfig, ContainerdFacts } from '../model.js';
import { fsyncDir, writeFileAtomic } from '../apply/atomic-write.js';
import { containerdAuths } from './auths.js';
import { BLOCK_BEGIN, planContainerdConfig, type ContainerdConfigPlan } from './config-toml.js';
import { checkImports } from './imports.js';
import { checkContainerdLoads } from './loadable.js';
import { parseTomlSafely } from './toml-text.js';
import { CONFIG_BACKUP_FILE, forgetOriginal, keepOriginalOnce, readOriginal } from './config-original.js';

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
      await keepOriginalOnce(current.path, current.content !== undefined, current.mode, options.stateDir);
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

/** What `restore` did with config.toml; `content` is what containerd reads now ('' when there is no file). */
export type GivenBack =
  | { outcome: 'restored'; path: string; content: string; mode: number; written: boolean; before: string }
  | { outcome: 'removed'; path: string; content: ''; before: string }
  /** Not given back: `why`; `holdsBlock` when the agent's block (its credentials) is still in the file. */
  | { outcome: 'kept'; path: string; why: string; holdsBlock: boolean; backup: string | undefined };

/**
 * config.toml back as it was before the agent's first edit, byte for byte and with its mode, or removed when
 * the agent created it; but only when nobody else changed it since: the file less the agent's edit must be
 * the original less the same edit. Restoring the copy over someone's later edits would lose them.
 */
export async function giveBackContainerdConfig(options: Omit<SyncOptions, 'config' | 'containerdBinary'>): Promise<GivenBack> {
  const current = await readContainerdConfig(options.path);
  const original = await readOriginal(options.stateDir).catch((err: unknown) => {
    throw ioError(join(options.stateDir, CONFIG_BACKUP_FILE), 'cannot be read', err);
  });
  const path = current.path;
  const kept = (why: string): GivenBack => ({
    outcome: 'kept',
    path,
    why,
    holdsBlock: (current.content ?? '').includes(BLOCK_BEGIN),
    backup: original?.existed === true ? join(options.stateDir, CONFIG_BACKUP_FILE) : undefined,
  });
  if (original === undefined) return kept("the state dir holds no copy of it from before the agent's first edit");
  const before = original.existed ? original.content.toString('utf8') : undefined;
  if (!(await onlyTheAgentChanged(current.content, before, options)))
    return kept("it was changed by someone else since the agent's first edit");
  try {
    let given: GivenBack;
    if (original.existed) {
      const mode = original.mode ?? current.mode ?? 0o644;
      const written = current.content !== before || current.mode !== mode;
      if (written) await writeFileAtomic(path, original.content, mode);
      given = { outcome: 'restored', path, content: before!, mode, written, before: current.content ?? '' };
    } else {
      await rm(path, { force: true });
      await fsyncDir(dirname(path));
      given = { outcome: 'removed', path, content: '', before: current.content ?? '' };
    }
    await forgetOriginal(options.stateDir);
    await rm(join(options.stateDir, CONFIG_PATH_FILE), { force: true });
    return given;
  } catch (err) {
    throw ioError(options.path, 'cannot be given back', err);
  }
}

/** The one line saying what a give-back did, for the log and for `restore`'s output. */
export function givenBackLine(given: Exclude<GivenBack, { outcome: 'kept' }>): string {
  return given.outcome === 'removed'
    ? `removed ${given.path}: the agent had created it`
    : `restored ${given.path} as it was before the agent's first edit (mode ${given.mode.toString(8).padStart(4, '0')})`;
}

/** Whether the agent's edit (with no credentials) makes the same file of both: then they differ only by it. */
async function onlyTheAgentChanged(
  current: string | undefined,
  original: string | undefined,
  options: Omit<SyncOptions, 'config' | 'containerdBinary'>,
): Promise<boolean> {
  if (current === original) return true;
  if (current === undefined) return false;
  const ownedConfigPaths = await readOwnedConfigPaths(options.stateDir);
  const edited = (text: string | undefined): string =>
    planContainerdConfig({
      path: options.path,
      current: text,
      hostsDir: options.hostsDir,
      ownedConfigPaths,
      auths: new Map(),
      facts: options.facts,
    }).content;
  try {
    return edited(current) === edited(original);
  } catch {
    // A file the agent would not edit now (a damaged block, a config_path that is not the agent's) is not
    // one it can tell apart from its own edit.
    return false;
  }
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

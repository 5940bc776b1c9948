// `containerd-mirror-agent sync` as a child process (from sources, through the one launcher of
// helpers/agent-process.ts), and readers of a host directory that see it the way a careful reader does: through
// the one generation `..data` points at.
import { readdir, readFile, readlink, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { freeLoopbackPort, startCliProcess, type CliProcess } from '../helpers/agent-process.js';
import type { SyncStatus } from '../../src/sync/sync-status.js';
import { onTestEnd } from '../helpers/temp-dir.js';

export type SyncProcess = CliProcess<SyncStatus>;

export async function startSyncProcess(t: TestContext, from: string[], to: string): Promise<SyncProcess> {
  const listen = `127.0.0.1:${await freeLoopbackPort()}`;
  const sync = await startCliProcess<SyncStatus>(['sync', ...from.flatMap((f) => ['--from', f]), '--to', to, '--listen', listen], listen);
  onTestEnd(t, () => sync.stop('SIGKILL'));
  return sync;
}

export interface HostState {
  generation: string;
  files: Map<string, { content: string; mode: number }>;
}

/**
 * The set `..data` names, read inside that one generation. undefined before the first publish, or when the
 * generation was replaced and removed while being read (the caller reads again).
 */
export async function readHostState(dir: string): Promise<HostState | undefined> {
  let generation: string;
  try {
    generation = await readlink(join(dir, '..data'));
  } catch {
    return undefined;
  }
  const files = new Map<string, { content: string; mode: number }>();
  try {
    for (const key of await readdir(join(dir, generation))) {
      const path = join(dir, generation, key);
      const mode = (await stat(path)).mode & 0o7777;
      files.set(key, { content: await readFile(path, 'utf8'), mode });
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  // A generation retired while we listed it is being deleted: what we saw of it is no state at all. Readers
  // that go through `..data` never see it; this one resolved the link first, so it checks it did not move.
  const still = await readlink(join(dir, '..data')).catch(() => undefined);
  return still === generation ? { generation, files } : undefined;
}

/** Entries of a host dir that are neither `..data`, its generation, nor a key link of that generation. */
export async function leftovers(dir: string): Promise<string[]> {
  const state = await readHostState(dir);
  const expected = new Set(['..data', ...(state === undefined ? [] : [state.generation, ...state.files.keys()])]);
  return (await readdir(dir)).filter((name) => !expected.has(name));
}

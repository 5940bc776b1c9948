// `containerd-mirror-agent sync` as a child process (from sources), and readers of a host directory that see
// it the way a careful reader does: through the one generation `..data` points at.
import { once } from 'node:events';
import { mkdtemp, readdir, readFile, readlink, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { TestContext } from 'node:test';
import type { ChildProcess } from 'node:child_process';
import { freeLoopbackPort, runCli, waitUntil, type LogLine } from '../helpers/agent-process.js';
import type { SyncStatus } from '../../src/sync/sync-status.js';

export async function tempRoot(t: TestContext, label: string): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), `cma-sync-${label}-`));
  t.after(() => rm(root, { recursive: true, force: true }));
  return root;
}

export interface SyncProcess {
  readonly child: ChildProcess;
  readonly listen: string;
  /** stdout and stderr, as written. */
  output(): string;
  logs(): LogLine[];
  get(path: string): Promise<{ code: number; body: string }>;
  status(): Promise<SyncStatus>;
  waitForStatus(what: string, predicate: (s: SyncStatus) => boolean, timeoutMs?: number): Promise<SyncStatus>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export async function startSyncProcess(t: TestContext, from: string[], to: string): Promise<SyncProcess> {
  const listen = `127.0.0.1:${await freeLoopbackPort()}`;
  const child = runCli(['sync', ...from.flatMap((f) => ['--from', f]), '--to', to, '--listen', listen]);
  let output = '';
  const lines: string[] = [];
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  createInterface({ input: child.stdout! }).on('line', (line) => {
    lines.push(line);
    output += `${line}\n`;
  });
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  let exitCode: number | null | undefined;
  void exited.then(([code]) => (exitCode = code));
  const get = async (path: string): Promise<{ code: number; body: string }> => {
    if (exitCode !== undefined) throw new Error(`sync exited with ${exitCode}: ${output}`);
    const res = await fetch(`http://${listen}${path}`);
    return { code: res.status, body: await res.text() };
  };
  const status = async (): Promise<SyncStatus> => JSON.parse((await get('/status')).body) as SyncStatus;
  const sync: SyncProcess = {
    child,
    listen,
    output: () => output,
    logs: () => lines.map((l) => JSON.parse(l) as LogLine),
    get,
    status,
    waitForStatus: (what, predicate, timeoutMs) => waitUntil(what, async () => ((s) => (predicate(s) ? s : undefined))(await status()), timeoutMs),
    stop: async (signal = 'SIGTERM') => {
      if (exitCode !== undefined) return exitCode;
      child.kill(signal);
      return (await exited)[0];
    },
  };
  t.after(() => sync.stop('SIGKILL'));
  await waitUntil('sync to start', () => lines.some((l) => l.includes('"event":"started"')) || undefined);
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

// The restart policy's state, written by the daemon so that `doctor` (another process) and a restarted
// agent know a containerd restart is still owed.
import { readFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { AgentError } from '../errors.js';
import { writeFileAtomic } from '../apply/atomic-write.js';

const RESTART_STATE_FILE = 'restart-pending.json';

const restartStateSchema = z.object({
  restartPending: z.boolean(),
  /** Why: the config.toml changes since containerd last (re)started. Host names only. */
  reason: z.string().optional(),
  pendingSince: z.string().optional(),
  lastRestartAt: z.string().optional(),
  lastError: z.string().optional(),
  /** sha256 of the config.toml bytes containerd runs with, and of the bytes on disk it must re-read. */
  runningDigest: z.string().optional(),
  wantedDigest: z.string().optional(),
});

export type RestartState = z.infer<typeof restartStateSchema>;

export function restartStatePath(stateDir: string): string {
  return join(stateDir, RESTART_STATE_FILE);
}

/** undefined when the daemon never wrote one. */
export async function readRestartState(stateDir: string): Promise<RestartState | undefined> {
  const file = restartStatePath(stateDir);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new AgentError('CMA_APPLY_IO', `cannot read: ${(err as Error).message}`, { file, cause: err });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new AgentError('CMA_APPLY_IO', 'not valid JSON; delete it, the daemon writes it again', { file, cause: err });
  }
  const result = restartStateSchema.safeParse(parsed);
  if (!result.success) throw new AgentError('CMA_APPLY_IO', 'unexpected content; delete it, the daemon writes it again', { file });
  return result.data;
}

export async function writeRestartState(stateDir: string, state: RestartState): Promise<void> {
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  // 0600: the digests are of a file that holds passwords.
  await writeFileAtomic(restartStatePath(stateDir), `${JSON.stringify(state, null, 2)}\n`, 0o600);
}

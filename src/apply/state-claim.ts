// One writer per state dir: the daemon, a one-shot `apply`/`restore`, or a second agent (host service and
// DaemonSet on one node) would otherwise race on the manifest and on each other's temp files. A pid file
// names the holder; a holder that died (kill -9, a crash) leaves a stale file that the next writer takes over.
import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { AgentError } from '../errors.js';

export const CLAIM_FILE = 'writer.pid';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, it is just not ours to signal.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Claims `stateDir` for this process (`what` names it in the refusal others get); resolves with the release. */
async function claimStateDir(stateDir: string, what: string): Promise<() => Promise<void>> {
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  const path = join(stateDir, CLAIM_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(path, 'wx', 0o600);
      await handle.writeFile(`${process.pid} ${what}\n`);
      await handle.close();
      return async () => {
        const holder = await readFile(path, 'utf8').catch(() => '');
        if (holder.startsWith(`${process.pid} `)) await rm(path, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new AgentError('CMA_APPLY_IO', `cannot claim the state dir (${(err as NodeJS.ErrnoException).code ?? 'error'})`, { file: path });
      }
    }
    const [pidText = '', ...rest] = (await readFile(path, 'utf8').catch(() => '')).trim().split(' ');
    const pid = Number(pidText);
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
      throw new AgentError('CMA_STATE_BUSY', `in use by ${rest.join(' ') || 'another writer'} (pid ${pid}); stop it first, or use \`status\` to ask a running agent`, { file: stateDir });
    }
    await rm(path, { force: true });
  }
  throw new AgentError('CMA_STATE_BUSY', 'another writer claimed it at the same moment; try again', { file: stateDir });
}

/** Runs `work` holding the claim on `stateDir`, released however `work` ends. */
export async function whileClaimed<T>(stateDir: string, what: string, work: () => Promise<T>): Promise<T> {
  const release = await claimStateDir(stateDir, what);
  try {
    return await work();
  } finally {
    await release();
  }
}

// One writer per state dir: the daemon, a one-shot `apply`/`restore`, or a second agent (host service and
// DaemonSet on one node) would otherwise race on the manifest and on each other's temp files. A pid file
// names the holder. The file outlives its holder (kill -9, power loss), and after a reboot its pid names
// some other process, so a pid alone proves nothing: the claim records the holder's start time (field 22 of
// /proc/PID/stat) and the boot id, and is honoured only while a process with that pid, that start time and
// that boot is alive. Anything else is stale and taken over. A running holder re-asserts its claim before
// each write, so deleting the state dir under it cannot let a second writer in unnoticed.
import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { AgentError } from '../errors.js';

export const CLAIM_FILE = 'writer.pid';

/** A process as the claim names it: reused pids and reboots give a different identity. */
interface Identity {
  pid: number;
  startTime: string;
  bootId: string;
}

async function bootId(): Promise<string> {
  return (await readFile('/proc/sys/kernel/random/boot_id', 'utf8')).trim();
}

/** Clock ticks since boot at which `pid` started, or undefined when there is no such process. */
async function startTime(pid: number): Promise<string | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  // Field 2 (comm) is in parentheses and may hold spaces or ')': count from the last ')', which is field 2's end.
  const fields = stat?.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields?.[22 - 3];
}

async function selfIdentity(): Promise<Identity> {
  const start = await startTime(process.pid);
  if (start === undefined)
    throw new AgentError('CMA_APPLY_IO', 'cannot read this process in /proc, so the state dir cannot be claimed safely');
  return { pid: process.pid, startTime: start, bootId: await bootId() };
}

function claimLine(self: Identity, what: string): string {
  return `${self.pid} ${self.startTime} ${self.bootId} ${what}\n`;
}

/** The holder a claim file names; undefined for content this version did not write (taken as stale). */
function parseClaim(text: string): (Identity & { what: string }) | undefined {
  const match = /^(\d+) (\d+) ([0-9a-f-]+) (.*)\n?$/.exec(text);
  if (match === null) return undefined;
  const [, pid = '', start = '', boot = '', what = ''] = match;
  return { pid: Number(pid), startTime: start, bootId: boot, what };
}

async function isAlive(holder: Identity): Promise<boolean> {
  return holder.bootId === (await bootId()) && (await startTime(holder.pid)) === holder.startTime;
}

/** The state dir held by this process; `reassert` before each write, `release` at the end. */
export class StateClaim {
  private constructor(
    private readonly stateDir: string,
    private readonly line: string,
  ) {}

  private get path(): string {
    return join(this.stateDir, CLAIM_FILE);
  }

  /** Claims `stateDir` for this process (`what` names it in the refusal others get). */
  static async take(stateDir: string, what: string): Promise<StateClaim> {
    const claim = new StateClaim(stateDir, claimLine(await selfIdentity(), what));
    await claim.acquire();
    return claim;
  }

  /**
   * Makes sure the claim file still names this process; writes it again when it is gone (the state dir was
   * deleted) and says so with true. Throws CMA_STATE_BUSY when another live process holds it now.
   */
  async reassert(): Promise<boolean> {
    if ((await readFile(this.path, 'utf8').catch(() => '')) === this.line) return false;
    await this.acquire();
    return true;
  }

  async release(): Promise<void> {
    if ((await readFile(this.path, 'utf8').catch(() => '')) === this.line) await rm(this.path, { force: true });
  }

  private async acquire(): Promise<void> {
    await mkdir(this.stateDir, { recursive: true, mode: 0o700 });
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const handle = await open(this.path, 'wx', 0o600);
        await handle.writeFile(this.line);
        await handle.close();
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
          throw new AgentError('CMA_APPLY_IO', `cannot claim the state dir (${(err as NodeJS.ErrnoException).code ?? 'error'})`, {
            file: this.path,
          });
        }
      }
      const text = await readFile(this.path, 'utf8').catch(() => '');
      if (text === this.line) return;
      const holder = parseClaim(text);
      if (holder !== undefined && holder.pid !== process.pid && (await isAlive(holder))) {
        throw new AgentError(
          'CMA_STATE_BUSY',
          `in use by ${holder.what || 'another writer'} (pid ${holder.pid}); stop it first, or use \`status\` to ask a running agent`,
          { file: this.stateDir },
        );
      }
      await rm(this.path, { force: true });
    }
    throw new AgentError('CMA_STATE_BUSY', 'another writer claimed it at the same moment; try again', { file: this.stateDir });
  }
}

/** Runs `work` holding the claim on `stateDir`, released however `work` ends. */
export async function whileClaimed<T>(stateDir: string, what: string, work: (claim: StateClaim) => Promise<T>): Promise<T> {
  const claim = await StateClaim.take(stateDir, what);
  try {
    return await work(claim);
  } finally {
    await claim.release();
  }
}

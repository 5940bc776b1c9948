// One writer per state dir: the daemon, a one-shot `apply`/`restore`, or a second agent (host service and
// DaemonSet on one node) would otherwise race on the manifest and on each other's temp files. A pid file
// names the holder. The file outlives its holder (kill -9, power loss), and after a reboot its pid names
// some other process, so a pid alone proves nothing: the claim records the holder's start time (field 22 of
// /proc/PID/stat) and the boot id, and is honoured only while a process with that pid, that start time and
// that boot is alive. Anything else is stale and taken over, atomically (acquire()): right after a reboot or a
// kill -9 is exactly when two writers start together and both find the same stale claim. Every writer (the
// daemon, `apply`, `restore`) re-asserts its claim before each write, so deleting the state dir under it, or a
// claim lost any other way, cannot let a second writer in unnoticed.
import { randomBytes } from 'node:crypto';
import { link, mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { AgentError } from '../errors.js';
import { TEMP_PREFIX } from './atomic-write.js';

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

  /**
   * The claim file is only ever created whole: a complete temp file is link()ed to its name, which fails when
   * the name exists, so at most one process creates it and nobody reads it half-written. A stale claim is moved
   * aside by rename() (one process succeeds) and only if the file moved is the one judged stale; then every
   * contender links again, and again only one succeeds. Never remove-then-create: two processes that both
   * found the claim stale would both remove it and both create one.
   */
  private async acquire(): Promise<void> {
    await mkdir(this.stateDir, { recursive: true, mode: 0o700 });
    const temp = this.tempName();
    try {
      for (let attempt = 0; attempt < ACQUIRE_ATTEMPTS; attempt++) {
        if (await this.linkClaim(temp)) return;
        const found = await readClaim(this.path);
        if (found === undefined) continue;
        if (found.text === this.line) return;
        // Not a complete line: written by a version that did not write atomically, and still being written.
        if (!found.text.endsWith('\n')) {
          await new Promise((resolve) => setTimeout(resolve, 50));
          continue;
        }
        const holder = parseClaim(found.text);
        if (holder !== undefined && holder.pid !== process.pid && (await isAlive(holder))) throw busy(this.stateDir, holder);
        await this.moveAside(found.ino);
      }
    } catch (err) {
      if (err instanceof AgentError) throw err;
      throw new AgentError('CMA_APPLY_IO', `cannot claim the state dir (${(err as NodeJS.ErrnoException).code ?? 'error'})`, {
        file: this.path,
        cause: err,
      });
    } finally {
      await rm(temp, { force: true });
    }
    throw new AgentError('CMA_STATE_BUSY', 'another writer is claiming it at the same moment (or writer.pid stays incomplete); try again', {
      file: this.stateDir,
    });
  }

  /** A name the next writer's sweep of leftover temp files (temps.ts) removes after a kill. */
  private tempName(): string {
    return join(this.stateDir, `${TEMP_PREFIX}${CLAIM_FILE}-${process.pid}-${randomBytes(6).toString('hex')}`);
  }

  /**
   * true when the claim is now `temp`'s complete line; false when a claim file exists. The temp file is
   * written (and synced, so a power loss cannot leave an empty claim) right before each try: a holder's sweep
   * of temp files may have removed it.
   */
  private async linkClaim(temp: string): Promise<boolean> {
    const handle = await open(temp, 'w', 0o600);
    try {
      await handle.writeFile(this.line);
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await link(temp, this.path);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST' || (err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
  }

  /**
   * Moves the stale claim (inode `ino`) out of the way. Another contender may have replaced it meanwhile with
   * its own live claim: that one is put back (a link, so it never replaces a newer one).
   */
  private async moveAside(ino: number): Promise<void> {
    const aside = this.tempName();
    try {
      await rename(this.path, aside);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    try {
      if ((await stat(aside)).ino !== ino) await link(aside, this.path).catch(() => undefined);
    } finally {
      await rm(aside, { force: true });
    }
  }
}

const ACQUIRE_ATTEMPTS = 40;

function busy(stateDir: string, holder: Identity & { what: string }): AgentError {
  return new AgentError(
    'CMA_STATE_BUSY',
    `in use by ${holder.what || 'another writer'} (pid ${holder.pid}); stop it first, or use \`status\` to ask a running agent`,
    { file: stateDir },
  );
}

/** The claim file's text and inode, read from one open descriptor; undefined when there is none. */
async function readClaim(path: string): Promise<{ text: string; ino: number } | undefined> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const [info, text] = await Promise.all([handle.stat(), handle.readFile('utf8')]);
    return { text, ino: info.ino };
  } finally {
    await handle.close();
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

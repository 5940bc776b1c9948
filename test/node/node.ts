// A real systemd 252 node: Debian 12's rootfs (test/node/rootfs.sh) booted with systemd as PID 1 under
// systemd-nspawn, on a host whose PID 1 is not systemd (no system bus, no machined): --register=no --keep-unit,
// nspawn in cgroups of its own in both hierarchies, --private-network (loopback only inside: nothing the node
// runs can reach, or collide with, the host's network). Each node writes to an overlay of the cached rootfs, so
// a boot costs about a second, and a reboot keeps what the node wrote. ../shared/systemd/README.md has the
// measurements this follows.
import { execFile, execFileSync, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, rmdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { waitFor } from '../helpers/testbed/wait.js';

export const REPO = resolve(import.meta.dirname, '../..');

export interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** Why the suite cannot run here, or undefined when it can. */
export function nodeMissing(): string | undefined {
  if (process.getuid?.() !== 0) return 'booting a node needs root';
  for (const [bin, pkg] of [
    ['systemd-nspawn', 'systemd-container'],
    ['mmdebstrap', 'mmdebstrap'],
  ])
    if (spawnOk('sh', ['-c', `command -v ${bin}`]) === false)
      return `${bin} not installed (Debian package ${pkg}; make test-deps installs it)`;
  if (!existsSync('/sys/fs/cgroup/systemd') || !existsSync('/sys/fs/cgroup/unified'))
    return 'expects the hybrid cgroup layout of these machines (name=systemd and unified)';
  return undefined;
}

function spawnOk(cmd: string, args: string[]): boolean {
  try {
    execFileSync(cmd, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** The cached rootfs (built on first use, about 80 s; rebuilt when test/node/packages.list changes). */
export function rootfs(): string {
  const out = execFileSync(join(REPO, 'test/node/rootfs.sh'), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 600_000 });
  return resolve(REPO, out.trim());
}

let serial = 0;

export class BootedNode {
  /** The node's / as seen from the host (the overlay's merged dir). */
  readonly root: string;
  private readonly work: string;
  private nspawnPid: number | undefined;
  private pid1: number | undefined;
  private readonly name = `cma-node-${process.pid}-${++serial}`;

  private constructor(
    work: string,
    private readonly binds: string[],
  ) {
    this.work = work;
    this.root = join(work, 'root');
  }

  /**
   * An overlay of the rootfs under `work` (created), not booted yet. `cleanUp` is handed what powers the node off,
   * unmounts the overlay and removes `work`: onTestEnd for a test's node, a suite's after() for a suite's.
   */
  static create(cleanUp: (undo: () => Promise<void>) => void, work: string, binds: Array<{ host: string; node: string }>): BootedNode {
    const lower = rootfs();
    for (const d of ['upper', 'ovl', 'root']) mkdirSync(join(work, d), { recursive: true });
    const node = new BootedNode(
      work,
      binds.map((b) => `--bind-ro=${b.host}:${b.node}`),
    );
    execFileSync('mount', [
      '-t',
      'overlay',
      'overlay',
      '-o',
      `lowerdir=${lower},upperdir=${join(work, 'upper')},workdir=${join(work, 'ovl')}`,
      node.root,
    ]);
    cleanUp(async () => {
      await node.poweroff();
      execFileSync('umount', [node.root]);
      rmSync(work, { recursive: true, force: true });
    });
    return node;
  }

  /** Boots and waits until `systemctl is-system-running --wait` answers; returns what it said. */
  async boot(): Promise<string> {
    for (const h of ['systemd', 'unified']) mkdirSync(`/sys/fs/cgroup/${h}/${this.name}`, { recursive: true });
    const log = openSync(join(this.work, 'nspawn.log'), 'a');
    const args = [
      '-D',
      this.root,
      '-M',
      this.name,
      '-b',
      '--register=no',
      '--keep-unit',
      '--private-network',
      '--console=read-only',
      ...this.binds,
    ];
    // nspawn with --keep-unit puts its supervisor and payload under its own cgroup: one of our making.
    // detached: a session of its own (setsid), so the node's console never reaches this process's terminal.
    const child = spawn(
      'sh',
      [
        '-c',
        'echo $$ >"/sys/fs/cgroup/systemd/$1/cgroup.procs" && echo $$ >"/sys/fs/cgroup/unified/$1/cgroup.procs" && shift && exec systemd-nspawn "$@"',
        'nspawn',
        this.name,
        ...args,
      ],
      { stdio: ['ignore', log, log], detached: true },
    );
    closeSync(log);
    child.unref();
    this.nspawnPid = child.pid!;
    this.pid1 = await waitFor(
      `the node's systemd to start (${join(this.work, 'nspawn.log')})`,
      () => {
        if (!alive(this.nspawnPid!)) throw new Error(`systemd-nspawn exited: ${readFileSync(join(this.work, 'nspawn.log'), 'utf8')}`);
        const kid = childrenOf(this.nspawnPid!)[0];
        return kid !== undefined && readFileSync(`/proc/${kid}/comm`, 'utf8').trim() === 'systemd' ? kid : undefined;
      },
      30_000,
    );
    await waitFor(
      'systemd to open its private socket',
      () => (existsSync(`/proc/${this.pid1}/root/run/systemd/private`) ? true : undefined),
      30_000,
    );
    return (await this.exec(['timeout', '90', 'systemctl', 'is-system-running', '--wait'])).stdout.trim();
  }

  /** Runs a command in the node, as an operator's root shell there (its namespaces, a clean environment). */
  exec(command: string[], input?: string): Promise<Ran> {
    if (this.pid1 === undefined) throw new Error('the node is not booted');
    const env = ['PATH=/usr/sbin:/usr/bin:/sbin:/bin', 'TERM=dumb', 'SYSTEMD_COLORS=0', 'SYSTEMD_PAGER=', 'LANG=C.UTF-8'];
    return new Promise((resolvePromise) => {
      const child = execFile(
        'nsenter',
        ['-t', String(this.pid1), '-m', '-u', '-i', '-n', '-p', '-C', '--', 'env', '-i', ...env, ...command],
        { timeout: 180_000, maxBuffer: 32 << 20 },
        (err, stdout, stderr) => resolvePromise({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, stdout, stderr }),
      );
      if (input !== undefined) child.stdin?.end(input);
    });
  }

  /** `sh -c script` in the node. */
  sh(script: string): Promise<Ran> {
    return this.exec(['sh', '-c', script]);
  }

  /** `sh -c script` in the node; throws with its output when it fails. */
  async must(script: string): Promise<string> {
    const r = await this.sh(script);
    if (r.code !== 0) throw new Error(`in the node: ${script}\nexit ${r.code}\n${r.stdout}${r.stderr}`);
    return r.stdout;
  }

  /** Powers the node off and waits for nspawn to exit; the overlay keeps what it wrote (a later boot() is a reboot). */
  async poweroff(): Promise<void> {
    const pid = this.nspawnPid;
    if (pid === undefined) return;
    if (alive(pid)) {
      // SIGTERM to nspawn asks the node's systemd for an orderly shutdown too: for a node that did not finish booting.
      if (this.pid1 === undefined || (await this.exec(['systemctl', 'poweroff'])).code !== 0) process.kill(pid, 'SIGTERM');
      try {
        await waitFor('the node to power off', () => (alive(pid) ? undefined : true), 60_000);
      } catch {
        process.kill(pid, 'SIGKILL');
        await waitFor('systemd-nspawn to die', () => (alive(pid) ? undefined : true), 10_000);
      }
    }
    this.nspawnPid = this.pid1 = undefined;
    for (const h of ['systemd', 'unified']) removeTree(`/sys/fs/cgroup/${h}/${this.name}`);
    // nspawn's own state dirs on the host, once no node uses them.
    for (const d of ['/run/systemd/nspawn/propagate', '/run/systemd/nspawn/locks', '/run/systemd/nspawn']) tryRmdir(d);
  }
}

function alive(pid: number): boolean {
  try {
    // A zombie still answers kill 0: only a process with a state other than Z counts.
    return !/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function tryRmdir(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {
    // not empty (another node runs) or gone
  }
}

/** cgroups go depth first, and only once empty. */
function removeTree(dir: string): void {
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir, { withFileTypes: true })) if (entry.isDirectory()) removeTree(join(dir, entry.name));
  rmdirSync(dir);
}

// A blackholed loopback address: an iptables DROP rule on OUTPUT for one address and port, so a connect
// waits in SYN_SENT exactly like a Service IP without kube-proxy rules. Each rule carries a unique comment
// and is removed by the exact same spec; a process-exit hook removes rules a failing test left behind.
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface Blackhole {
  /** The iptables comment that names this rule. */
  id: string;
  remove(): Promise<void>;
}

export type BlackholeAvailability = { ok: true } | { ok: false; reason: string };

/** Rules added by this process and not removed yet: argv of the matching `-D` command. */
const active = new Map<string, string[]>();
const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

function removeAllNow(): void {
  for (const [id, argv] of active) {
    try {
      execFileSync(argv[0] ?? 'iptables', argv.slice(1), { stdio: 'ignore' });
    } catch {
      // Best effort at exit; the rule names its owner in its comment for a manual cleanup.
    }
    active.delete(id);
  }
}

function onSignal(signal: NodeJS.Signals): void {
  removeAllNow();
  uninstallSafetyNet();
  process.kill(process.pid, signal);
}

function installSafetyNet(): void {
  if (active.size !== 1) return;
  process.on('exit', removeAllNow);
  for (const s of SIGNALS) process.on(s, onSignal);
}

function uninstallSafetyNet(): void {
  if (active.size !== 0) return;
  process.off('exit', removeAllNow);
  for (const s of SIGNALS) process.off(s, onSignal);
}

function isLoopback(address: string): boolean {
  return address === '::1' || (isIP(address) === 4 && address.startsWith('127.'));
}

function binaryFor(address: string): string {
  return isIP(address) === 6 ? 'ip6tables' : 'iptables';
}

/** Whether this process can add iptables rules, and why not when it cannot. */
export async function canBlackhole(address = '127.0.0.9'): Promise<BlackholeAvailability> {
  if (process.getuid?.() !== 0) return { ok: false, reason: 'needs root for iptables' };
  const binary = binaryFor(address);
  try {
    await run(binary, ['-w', '-S', 'OUTPUT']);
    return { ok: true };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { ok: false, reason: code === 'ENOENT' ? `needs ${binary} installed` : `${binary} does not work here (no CAP_NET_ADMIN?)` };
  }
}

/** Drops every TCP packet this host sends to `address:port` until `remove()` is called. */
export async function blackhole(address = '127.0.0.9', port: number): Promise<Blackhole> {
  if (!isLoopback(address)) throw new Error(`blackhole only accepts loopback addresses, not ${address}`);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`blackhole: bad port ${port}`);
  const id = `cma-test-${process.pid}-${randomBytes(4).toString('hex')}`;
  const prefix = isIP(address) === 6 ? 128 : 32;
  const spec = [
    'OUTPUT',
    '-d',
    `${address}/${prefix}`,
    '-p',
    'tcp',
    '--dport',
    String(port),
    '-m',
    'comment',
    '--comment',
    id,
    '-j',
    'DROP',
  ];
  const binary = binaryFor(address);
  await run(binary, ['-w', '-I', ...spec]);
  active.set(id, [binary, '-w', '-D', ...spec]);
  installSafetyNet();
  return {
    id,
    remove: async () => {
      const argv = active.get(id);
      if (argv === undefined) return;
      active.delete(id);
      uninstallSafetyNet();
      await run(argv[0] ?? binary, argv.slice(1));
    },
  };
}

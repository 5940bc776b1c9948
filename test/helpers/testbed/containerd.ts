// A private containerd (Debian's 1.6.20 here) with its own root, state and socket under a temp dir, so it
// never touches the host's containerd. CNI is pointed at empty dirs: the CRI plugin then loads without pod
// networking (it logs "failed to load cni during init" and carries on), which is all PullImage needs.
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'smol-toml';
import { spawnLogged, type ManagedProcess } from './process.js';
import { waitFor } from './wait.js';

const run = promisify(execFile);

export interface ContainerdOptions {
  dir: string;
  /** CRI `registry.config_path`: where containerd reads hosts.toml files on every pull. */
  hostsDir: string;
}

export interface Containerd {
  readonly socket: string;
  readonly root: string;
  readonly process: ManagedProcess;
  /** Runs `ctr --address SOCK ...args` and returns its stdout; rejects with stderr on failure. */
  ctr(args: string[], timeoutMs?: number): Promise<string>;
  stop(): Promise<void>;
}

const CRI = 'io.containerd.grpc.v1.cri';

export function containerdConfig(dir: string, hostsDir: string): string {
  return stringify({
    version: 2,
    root: join(dir, 'root'),
    state: join(dir, 'state'),
    // Snapshotters that cannot work here only add noise to the log.
    disabled_plugins: ['io.containerd.snapshotter.v1.aufs', 'io.containerd.snapshotter.v1.btrfs', 'io.containerd.snapshotter.v1.zfs', 'io.containerd.snapshotter.v1.devmapper'],
    grpc: { address: join(dir, 'containerd.sock') },
    ttrpc: { address: join(dir, 'containerd.sock.ttrpc') },
    plugins: {
      [CRI]: {
        disable_tcp_service: true,
        // The default stream port 10010 would collide between two test beds.
        stream_server_address: '127.0.0.1',
        stream_server_port: '0',
        cni: { bin_dir: join(dir, 'cni', 'bin'), conf_dir: join(dir, 'cni', 'conf') },
        registry: { config_path: hostsDir },
      },
    },
  });
}

export async function startContainerd(options: ContainerdOptions): Promise<Containerd> {
  for (const sub of ['root', 'state', 'cni/bin', 'cni/conf']) mkdirSync(join(options.dir, sub), { recursive: true });
  mkdirSync(options.hostsDir, { recursive: true });
  const configPath = join(options.dir, 'config.toml');
  writeFileSync(configPath, containerdConfig(options.dir, options.hostsDir));
  const socket = join(options.dir, 'containerd.sock');
  const proc = spawnLogged('containerd', ['--config', configPath, '--log-level', 'debug'], join(options.dir, 'containerd.log'));
  const ctr = async (args: string[], timeoutMs = 300_000): Promise<string> => {
    try {
      const { stdout } = await run('ctr', ['--address', socket, ...args], { timeout: timeoutMs, maxBuffer: 64 << 20 });
      return stdout;
    } catch (error) {
      const stderr = (error as { stderr?: string }).stderr ?? '';
      throw new Error(`ctr ${args.join(' ')} failed: ${stderr.trim() || String(error)}`, { cause: error });
    }
  };
  try {
    await waitFor(`containerd to serve on ${socket} (log ${proc.logPath})`, async () => {
      const plugins = await ctr(['plugins', 'ls'], 5_000);
      return /^io\.containerd\.grpc\.v1\s+cri\s+\S+\s+ok\b/m.test(plugins) ? true : undefined;
    }, 30_000, 200);
    return { socket, root: join(options.dir, 'root'), process: proc, ctr, stop: () => proc.stop() };
  } catch (error) {
    await proc.kill();
    throw error;
  }
}

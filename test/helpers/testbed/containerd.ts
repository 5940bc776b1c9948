// A private containerd (Debian's 1.6.20, or a 2.x of build.ts) with its own root, state and sockets under a
// temp dir, so it never touches the host's containerd. CNI is pointed at empty dirs: the CRI plugin then loads
// without pod networking (it logs "failed to load cni during init" and carries on), which is all PullImage
// needs. Each build gets the config version its own `config default` prints (2, 3, or 4 on 2.3) and 2.x NRI
// off, whose socket would otherwise be the host's. Every listener is made private in every layout: the
// top-level [grpc]/[ttrpc]/[debug]/[metrics] of versions 2 and 3, and the `io.containerd.server.v1.*` plugins
// that 2.3 reads instead, and which win over the top-level tables there (issue 23). Before any start,
// `containerd config dump` must show every listener inside the bed's dir (listeners.ts), or nothing starts.
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse, stringify } from 'smol-toml';
import { envFor, selectedBuild, type ContainerdBuild } from './build.js';
import { checkListenersPrivate } from './listeners.js';
import { spawnLogged, type ManagedProcess } from './process.js';
import { waitFor } from './wait.js';

const run = promisify(execFile);

export interface ContainerdOptions {
  dir: string;
  /** CRI `registry.config_path`: where containerd reads hosts.toml files on every pull. */
  hostsDir: string;
  /** Default: the one CMA_CONTAINERD selects. */
  build?: ContainerdBuild;
  /** A whole config.toml to run instead of containerdConfig()'s; it must keep root, state and sockets in `dir`. */
  configText?: string;
}

export interface Containerd {
  readonly socket: string;
  readonly root: string;
  readonly configPath: string;
  readonly build: ContainerdBuild;
  readonly process: ManagedProcess;
  /** Runs `ctr --address SOCK ...args` and returns its stdout; rejects with stderr on failure. */
  ctr(args: string[], timeoutMs?: number): Promise<string>;
  /** Stops and starts again on config.toml as it is now (an agent or a test may have edited it). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

const CRI = 'io.containerd.grpc.v1.cri';
type ConfigVersion = ContainerdBuild['configVersion'];

/** Every listener a containerd config can name, made private: sockets in `dir`, TCP ones off. */
function privateListeners(dir: string, build: ContainerdBuild): { top: Record<string, unknown>; plugins: Record<string, unknown> } {
  const grpc = join(dir, 'containerd.sock');
  const ttrpc = join(dir, 'containerd.sock.ttrpc');
  const top = { grpc: { address: grpc, tcp_address: '' }, ttrpc: { address: ttrpc }, debug: { address: '' }, metrics: { address: '' } };
  if (build.major === 1) return { top, plugins: {} };
  const plugins: Record<string, unknown> = {
    'io.containerd.server.v1.grpc': { address: grpc },
    'io.containerd.server.v1.grpc-tcp': { address: '' },
    'io.containerd.server.v1.ttrpc': { address: ttrpc },
    'io.containerd.server.v1.debug': { address: '' },
    'io.containerd.server.v1.metrics': { address: '' },
  };
  // 2.3's shims listen in socket_dir (empty: the host's default); 2.1 has no such setting.
  if (build.configVersion === 4) plugins['io.containerd.shim.v1.manager'] = { socket_dir: join(dir, 's') };
  return { top, plugins };
}

/**
 * The parts of a private instance that must never be the host's: root, state, listeners, ports, NRI, opt. In
 * the layout of config `version` 2 (1.6's, which 2.x converts at start), 3 (2.0-2.2's) or 4 (2.3's).
 */
export function privateSettings(
  dir: string,
  build: ContainerdBuild,
  version: ConfigVersion = build.configVersion,
): Record<string, unknown> {
  const listeners = privateListeners(dir, build);
  const common = {
    root: join(dir, 'root'),
    state: join(dir, 'state'),
    // Snapshotters that cannot work here only add noise to the log.
    disabled_plugins: [
      'io.containerd.snapshotter.v1.aufs',
      'io.containerd.snapshotter.v1.btrfs',
      'io.containerd.snapshotter.v1.zfs',
      'io.containerd.snapshotter.v1.devmapper',
    ],
    ...listeners.top,
  };
  // The default stream port 10010 would collide between two test beds.
  const server = { disable_tcp_service: true, stream_server_address: '127.0.0.1', stream_server_port: '0' };
  const cni = join(dir, 'cni');
  // 2.x enables NRI (a host-wide socket) and keeps opt under /opt unless told otherwise.
  const only2 =
    build.major === 2
      ? { 'io.containerd.nri.v1.nri': { disable: true }, 'io.containerd.internal.v1.opt': { path: join(dir, 'opt') }, ...listeners.plugins }
      : {};
  if (version === 2)
    return { ...common, plugins: { [CRI]: { ...server, cni: { bin_dir: join(cni, 'bin'), conf_dir: join(cni, 'conf') } }, ...only2 } };
  return {
    ...common,
    plugins: {
      [CRI]: server,
      'io.containerd.cri.v1.runtime': {
        netns_mounts_under_state_dir: true,
        cni: { bin_dirs: [join(cni, 'bin')], conf_dir: join(cni, 'conf') },
      },
      ...only2,
    },
  };
}

type Doc = Record<string, unknown>;
const isTable = (v: unknown): v is Doc => typeof v === 'object' && v !== null && !Array.isArray(v);

function overlay(base: Doc, top: Doc): Doc {
  const out: Doc = { ...base };
  for (const [key, value] of Object.entries(top)) out[key] = isTable(value) && isTable(out[key]) ? overlay(out[key], value) : value;
  return out;
}

/**
 * A node's own config.toml (a stock file, an operator's) made safe to run here: every setting of it kept,
 * only privateSettings() laid over it. Re-serialised, so comments go; the keys and values are the stock ones.
 */
export function privatize(text: string, dir: string, build: ContainerdBuild): string {
  const doc = parse(text) as Doc;
  const version = doc.version === 3 || doc.version === 4 ? doc.version : 2;
  return stringify(overlay(doc, privateSettings(dir, build, version)));
}

/** Where the CRI registry table lives in a config layout of this version. */
export const registryPlugin = (version: ConfigVersion): string => (version === 2 ? CRI : 'io.containerd.cri.v1.images');

export function containerdConfig(dir: string, hostsDir: string, build: ContainerdBuild = selectedBuild()): string {
  const doc = privateSettings(dir, build) as { plugins: Record<string, Record<string, unknown>> };
  const plugin = registryPlugin(build.configVersion);
  doc.plugins[plugin] = { ...doc.plugins[plugin], registry: { config_path: hostsDir } };
  return stringify({ version: build.configVersion, ...doc });
}

/** Spawns containerd on the config file as it is now, once every listener is private, and waits until CRI serves. */
async function spawnServing(build: ContainerdBuild, dir: string, ctr: Containerd['ctr']): Promise<ManagedProcess> {
  const socket = join(dir, 'containerd.sock');
  await checkListenersPrivate(build, join(dir, 'config.toml'), dir);
  // The log is appended to, so offsets taken before a restart stay valid.
  const proc = spawnLogged(build.containerd, ['--config', join(dir, 'config.toml'), '--log-level', 'debug'], join(dir, 'containerd.log'), {
    env: envFor(build),
  });
  try {
    await waitFor(
      `containerd to serve on ${socket} (log ${proc.logPath})`,
      async () => {
        const plugins = await ctr(['plugins', 'ls'], 5_000);
        return /^io\.containerd\.grpc\.v1\s+cri\s+\S+\s+ok\b/m.test(plugins) ? true : undefined;
      },
      30_000,
      200,
    );
    return proc;
  } catch (error) {
    await proc.kill();
    throw error;
  }
}

export async function startContainerd(options: ContainerdOptions): Promise<Containerd> {
  for (const sub of ['root', 'state', 'cni/bin', 'cni/conf']) mkdirSync(join(options.dir, sub), { recursive: true });
  mkdirSync(options.hostsDir, { recursive: true });
  const build = options.build ?? selectedBuild();
  const configPath = join(options.dir, 'config.toml');
  writeFileSync(configPath, options.configText ?? containerdConfig(options.dir, options.hostsDir, build));
  const socket = join(options.dir, 'containerd.sock');
  const ctr = async (args: string[], timeoutMs = 300_000): Promise<string> => {
    try {
      const { stdout } = await run(build.ctr, ['--address', socket, ...args], { timeout: timeoutMs, maxBuffer: 64 << 20 });
      return stdout;
    } catch (error) {
      const stderr = (error as { stderr?: string }).stderr ?? '';
      throw new Error(`ctr ${args.join(' ')} failed: ${stderr.trim() || String(error)}`, { cause: error });
    }
  };
  let proc = await spawnServing(build, options.dir, ctr);
  return {
    socket,
    root: join(options.dir, 'root'),
    configPath,
    build,
    get process() {
      return proc;
    },
    ctr,
    restart: async () => {
      await proc.stop();
      proc = await spawnServing(build, options.dir, ctr);
    },
    stop: () => proc.stop(),
  };
}

// Flags of every command, parsed with node:util so unknown flags are usage errors (exit 2), never ignored.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { AgentError } from '../errors.js';
import { HOSTS_DIR_LIST_MESSAGE } from '../config/native-schema.js';
import { parseDuration } from '../config/go-duration.js';

const DEFAULT_STATE_DIR = '/var/lib/containerd-mirror-agent';
const DEFAULT_CONTAINERD_CONFIG = '/etc/containerd/config.toml';
/** containerd's gRPC socket, where the hosts-in-effect canary makes its CRI pull. */
const DEFAULT_CONTAINERD_SOCKET = '/run/containerd/containerd.sock';
import { DEFAULT_LISTEN } from '../observe/listen.js';

/** Next to the agent's port, so a node can run both; see DEFAULT_LISTEN for why this range. */
const DEFAULT_SYNC_LISTEN = '127.0.0.1:10148';

type Options = NonNullable<ParseArgsConfig['options']>;

const config = { type: 'string', multiple: true, short: 'c' } as const;
const clusterConfig = { type: 'string', multiple: true } as const;
const hostsDir = { type: 'string' } as const;
const stateDir = { type: 'string' } as const;
const assumeMirrors = { type: 'string' } as const;
const listen = { type: 'string' } as const;
const containerdConfig = { type: 'string' } as const;
const noRestart = { type: 'boolean' } as const;
const exposeStatus = { type: 'boolean' } as const;
const containerdSocket = { type: 'string' } as const;

export const COMMAND_OPTIONS = {
  validate: { config, 'cluster-config': clusterConfig },
  render: { config, 'cluster-config': clusterConfig, 'hosts-dir': hostsDir, 'assume-mirrors': assumeMirrors, out: { type: 'string' } },
  apply: {
    config,
    'cluster-config': clusterConfig,
    'hosts-dir': hostsDir,
    'state-dir': stateDir,
    'assume-mirrors': assumeMirrors,
    'containerd-config': containerdConfig,
    'no-restart': noRestart,
  },
  restore: { config, 'hosts-dir': hostsDir, 'state-dir': stateDir, 'containerd-config': containerdConfig },
  run: {
    config,
    'cluster-config': clusterConfig,
    'hosts-dir': hostsDir,
    'state-dir': stateDir,
    listen,
    'containerd-config': containerdConfig,
    'no-restart': noRestart,
    'expose-status': exposeStatus,
    'containerd-socket': containerdSocket,
  },
  status: { listen, json: { type: 'boolean' }, wait: { type: 'string' } },
  doctor: { config, 'cluster-config': clusterConfig, 'hosts-dir': hostsDir, 'state-dir': stateDir, 'containerd-config': containerdConfig },
  sync: {
    from: { type: 'string', multiple: true },
    to: { type: 'string' },
    listen,
    once: { type: 'boolean' },
    'expose-status': exposeStatus,
  },
} as const satisfies Record<string, Options>;

export type CommandName = keyof typeof COMMAND_OPTIONS;

export interface CommandFlags {
  config: string[];
  /** `--cluster-config`: cluster-provided sources, read after --config, limited by the trust boundary. */
  clusterConfig: string[];
  hostsDir?: string;
  stateDir: string;
  assumeMirrors?: 'up' | 'down';
  out?: string;
  listen: string;
  json: boolean;
  /** status: how long to wait for an agent that does not answer yet (it may be starting). */
  waitMs: number;
  containerdConfig: string;
  containerdSocket: string;
  noRestart: boolean;
  /** run, sync: serve /status off loopback too. */
  exposeStatus: boolean;
  /** sync: source directories, the host directory, one pass only. */
  from: string[];
  to?: string;
  once: boolean;
}

export function isCommand(name: string | undefined): name is CommandName {
  return name !== undefined && Object.hasOwn(COMMAND_OPTIONS, name);
}

function usage(message: string): AgentError {
  return new AgentError('CMA_USAGE', `${message}; see \`containerd-mirror-agent --help\``);
}

export function parseCommandFlags(command: CommandName, argv: string[], env: NodeJS.ProcessEnv = process.env): CommandFlags {
  let values: Record<string, string | boolean | Array<string | boolean> | undefined>;
  try {
    const options: Options = COMMAND_OPTIONS[command];
    ({ values } = parseArgs({ args: argv, options, strict: true, allowPositionals: false }));
  } catch (err) {
    throw usage(`${command}: ${(err as Error).message}`);
  }
  const str = (key: string): string | undefined => values[key] as string | undefined;
  const assume = str('assume-mirrors');
  if (assume !== undefined && assume !== 'up' && assume !== 'down') {
    throw usage(`${command}: --assume-mirrors must be "up" or "down", got "${assume}"`);
  }
  if (str('hosts-dir')?.includes(':')) throw usage(`${command}: --hosts-dir ${HOSTS_DIR_LIST_MESSAGE}`);
  const configs = (values.config as string[] | undefined) ?? [];
  const clusterConfigs = (values['cluster-config'] as string[] | undefined) ?? [];
  const from = (values.from as string[] | undefined) ?? [];
  for (const [flag, paths] of [
    ['--config', configs],
    ['--cluster-config', clusterConfigs],
    ['--from', from],
  ] as const) {
    for (const path of paths) {
      const problem = generationDirProblem(path);
      if (problem !== undefined) throw usage(`${command}: ${flag} ${problem}`);
    }
  }
  if (['validate', 'render', 'apply', 'run'].includes(command) && configs.length + clusterConfigs.length === 0) {
    throw usage(`${command}: at least one --config PATH (or --cluster-config PATH) is required`);
  }
  return {
    config: configs,
    clusterConfig: clusterConfigs,
    hostsDir: str('hosts-dir'),
    stateDir: str('state-dir') ?? env.CMA_STATE_DIR ?? DEFAULT_STATE_DIR,
    assumeMirrors: assume,
    out: str('out'),
    listen: str('listen') ?? env.CMA_LISTEN ?? (command === 'sync' ? DEFAULT_SYNC_LISTEN : DEFAULT_LISTEN),
    json: values.json === true,
    waitMs: waitFlag(command, str('wait')),
    containerdConfig: str('containerd-config') ?? env.CMA_CONTAINERD_CONFIG ?? DEFAULT_CONTAINERD_CONFIG,
    containerdSocket: str('containerd-socket') ?? env.CMA_CONTAINERD_SOCKET ?? DEFAULT_CONTAINERD_SOCKET,
    noRestart: values['no-restart'] === true,
    exposeStatus: values['expose-status'] === true,
    from,
    to: str('to'),
    once: values.once === true,
  };
}

/** The kubelet's atomic writer names each generation of a volume `..2026_12_06_10_00_00.123456789`. */
const KUBELET_GENERATION = /^\.\.\d{4}_\d{2}_\d{2}_\d{2}_\d{2}_\d{2}\.\d+$/;

/** A path into one generation of a kubelet volume reads fine today and vanishes at the volume's next update. */
function generationDirProblem(path: string): string | undefined {
  const parts = path.split('/');
  const at = parts.findIndex((part) => KUBELET_GENERATION.test(part));
  if (at === -1) return undefined;
  const volume = parts.slice(0, at).join('/') || '.';
  return `${path} is inside one generation of a kubelet volume, which the kubelet deletes at the next update of the Secret or ConfigMap; point it at the volume's mount directory (${volume}) instead`;
}

/** `status` right after `run &` finds an agent still starting (its first probes take a second or two). */
const DEFAULT_STATUS_WAIT_MS = 10_000;

function waitFlag(command: CommandName, text: string | undefined): number {
  if (text === undefined) return DEFAULT_STATUS_WAIT_MS;
  try {
    return text === '0' ? 0 : parseDuration(text);
  } catch (err) {
    throw usage(`${command}: --wait ${(err as Error).message}`);
  }
}

/** `--containerd-config none`: leave config.toml to whoever owns it (k3s, an image build); hosts.toml only. */
export function managedContainerdConfig(flags: CommandFlags): string | undefined {
  return flags.containerdConfig === 'none' ? undefined : flags.containerdConfig;
}

export const HELP = `containerd-mirror-agent: keeps containerd's registry mirrors honest about the cache's health

Usage: containerd-mirror-agent COMMAND [flags]    (or --help, --version)
(validate, render, apply, run and doctor also take --cluster-config PATH..., see below)

Commands:
  validate --config PATH...                      check the config; print errors, or one OK line
  render   --config PATH... [--hosts-dir DIR] [--assume-mirrors up|down] [--out DIR]
                                                 print the hosts.toml files (or write them under DIR), and
                                                 which mirrors they leave out and why
  apply    --config PATH... [--hosts-dir DIR] [--state-dir DIR] [--assume-mirrors up|down]
           [--containerd-config PATH] [--no-restart]
                                                 one-shot: probe mirrors once (unless assumed), write files,
                                                 say which mirrors were left out and why; edits
                                                 ${DEFAULT_CONTAINERD_CONFIG} (config_path, credentials) and
                                                 restarts containerd if that file changed (--no-restart:
                                                 only record it; --containerd-config none: leave it alone)
  run      --config PATH... [--hosts-dir DIR] [--state-dir DIR] [--listen HOST:PORT]
           [--containerd-config PATH] [--no-restart] [--expose-status] [--containerd-socket PATH]
                                                 the daemon: watch, probe, fail over and back, and check
                                                 that containerd reads the hosts dir (a CRI canary pull);
                                                 edits config.toml and restarts containerd like apply
  status   [--listen HOST:PORT] [--json] [--wait DURATION]
                                                 what a running agent sees; waits for an agent that is
                                                 still starting (default 10s, --wait 0: ask once)
  doctor   [--config PATH...] [--hosts-dir DIR] [--state-dir DIR] [--containerd-config PATH]
                                                 check this node's containerd setup; exit 1 with fixes
  restore  [--config PATH...] [--hosts-dir DIR] [--state-dir DIR] [--containerd-config PATH]
                                                 remove every file the agent owns, put backups back,
                                                 take its credentials out of config.toml
  sync     --from DIR... --to HOSTDIR [--listen HOST:PORT] [--once] [--expose-status]
                                                 copy mounted ConfigMap/Secret dirs to the node, validated,
                                                 one atomic ..data swap per change (host mode); later --from
                                                 wins on the same key; --listen default ${DEFAULT_SYNC_LISTEN}

--config (-c) is repeatable: a file (.yaml .yml .json .toml) or a directory (a mounted Secret/ConfigMap);
later sources win. --cluster-config PATH (repeatable) is a source the cluster provides (a mounted
ConfigMap/Secret, host mode's synced dir), read after every --config: it may not set restartCommand,
hostsDir, kubeletConfig, clusterDNS or allowLoopbackAnswers, and every file it names must resolve inside
a --cluster-config path.
Defaults: --state-dir ${DEFAULT_STATE_DIR}, --listen ${DEFAULT_LISTEN},
--containerd-config ${DEFAULT_CONTAINERD_CONFIG}, --containerd-socket ${DEFAULT_CONTAINERD_SOCKET}
(env CMA_STATE_DIR, CMA_LISTEN, CMA_CONTAINERD_CONFIG, CMA_CONTAINERD_SOCKET);
--containerd-config none leaves config.toml alone (hosts.toml only).
Off loopback, --listen serves only /healthz /readyz /metrics; /status stays on loopback (a --listen on one
other address also binds 127.0.0.1 on its port) unless --expose-status.
Logs: JSON lines on stdout; env LOG_LEVEL fatal|error|warn|info|debug|trace (default info).
Exit status: 0 ok, 1 runtime failure, 2 invalid usage or config.
`;

// The real agent under test: `bin/containerd-mirror-agent run`, started as a child process with its own
// state dir and a loopback status port, killed by its pid at the end (or by -9 when a scenario asks).
// CMA_AGENT_BIN names another executable to test instead, e.g. the packaged single executable from
// `make binary`: what ships is what the scenarios and benchmarks exercise, not only dist/.
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { freeLoopbackPort } from '../helpers/agent-process.js';
import type { AgentStatus } from '../../src/observe/status-format.js';
import { envFor, selectedBuild, spawnLogged, testbedUnavailable, waitFor, type ManagedProcess } from '../helpers/testbed/index.js';

const SELECTED_BIN = process.env.CMA_AGENT_BIN;
export const AGENT_BIN = SELECTED_BIN ? resolve(SELECTED_BIN) : resolve(import.meta.dirname, '../../bin/containerd-mirror-agent');
export const AGENT_BUILT = existsSync(SELECTED_BIN ? AGENT_BIN : resolve(import.meta.dirname, '../../dist/cli/main.js'));

export interface Agent {
  readonly process: ManagedProcess;
  readonly statusUrl: string;
  status(): Promise<AgentStatus>;
  /** Waits until the agent reports this registry in this mode. */
  waitForMode(registry: string, mode: 'mirror' | 'upstream', timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
  kill9(): Promise<void>;
}

export interface AgentOptions {
  /** A file or a kubelet-style volume directory. */
  config: string;
  hostsDir: string;
  stateDir: string;
  logPath: string;
  /**
   * The bed containerd's config.toml, which the agent checks (and would edit) like a node's; default `none`.
   * Never the host's /etc/containerd/config.toml.
   */
  containerdConfig?: string;
  /** The bed containerd's socket, for the hosts-in-effect canary; default a path where none listens. */
  containerdSocket?: string;
  /** HOST:PORT to listen on; default a free loopback port. */
  listen?: string;
  /** More `run` flags, e.g. --no-restart. */
  args?: string[];
  /** Extra environment, e.g. NOTIFY_SOCKET. */
  env?: NodeJS.ProcessEnv;
  /** The executable to run; default AGENT_BIN. Benchmarks compare two side by side. */
  bin?: string;
}

export async function startAgent(options: AgentOptions): Promise<Agent> {
  if (!AGENT_BUILT) throw new Error(`${AGENT_BIN} has nothing to run: run \`make build\` (or \`make binary\` for CMA_AGENT_BIN) first`);
  mkdirSync(options.stateDir, { recursive: true });
  const listen = options.listen ?? `127.0.0.1:${await freeLoopbackPort()}`;
  // Never the machine's own /etc/containerd/config.toml (nor a restart of its containerd): a scenario that
  // wants config.toml names its own.
  const args = [
    'run',
    '--config',
    options.config,
    '--hosts-dir',
    options.hostsDir,
    '--state-dir',
    options.stateDir,
    '--listen',
    listen,
    '--containerd-config',
    options.containerdConfig ?? 'none',
    '--containerd-socket',
    options.containerdSocket ?? join(options.stateDir, 'no-containerd.sock'),
    ...(options.args ?? []),
  ];
  // The bed's containerd build comes first in PATH: the agent's `containerd --version` must see the one it serves.
  const proc = spawnLogged(options.bin ?? AGENT_BIN, args, options.logPath, { env: { ...envFor(selectedBuild()), ...options.env } });
  const statusUrl = `http://${listen}/status`;
  const status = async (): Promise<AgentStatus> => {
    const response = await fetch(statusUrl);
    if (!response.ok) throw new Error(`${statusUrl}: HTTP ${response.status}`);
    return (await response.json()) as AgentStatus;
  };
  try {
    await waitFor(`the agent's ${statusUrl} (log ${options.logPath})`, async () => {
      const exited = await Promise.race([proc.exited, Promise.resolve(undefined)]);
      if (exited !== undefined) throw new Error(`the agent exited with ${exited}:\n${proc.log()}`);
      return (await status()) ? true : undefined;
    });
  } catch (error) {
    await proc.kill();
    throw error;
  }
  return {
    process: proc,
    statusUrl,
    status,
    waitForMode: async (registry, mode, timeoutMs = 20_000) => {
      await waitFor(
        `registry ${registry} in mode ${mode} (log ${options.logPath})`,
        async () => {
          const found = (await status()).registries.find((r) => r.name === registry);
          return found?.mode === mode ? true : undefined;
        },
        timeoutMs,
      );
    },
    stop: () => proc.stop(),
    kill9: () => proc.kill(),
  };
}

export const agentDirs = (root: string): Pick<AgentOptions, 'stateDir' | 'logPath'> => ({
  stateDir: join(root, 'agent-state'),
  logPath: join(root, 'agent.log'),
});

/**
 * Why the e2e scenarios cannot run here, or undefined. A missing build is not a reason to skip: `make e2e`
 * builds first, so a missing agent is a failure, reported by startAgent.
 */
export const E2E_SKIP = testbedUnavailable();

/** The one agent of a scenario: each start() replaces the handle, stop() stops whichever runs now. */
export class AgentSlot {
  current: Agent | undefined;

  constructor(private readonly options: () => AgentOptions) {}

  async start(): Promise<Agent> {
    this.current = await startAgent(this.options());
    return this.current;
  }

  async stop(): Promise<void> {
    await this.current?.stop();
  }
}

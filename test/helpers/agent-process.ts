// `containerd-mirror-agent run` as a child process, straight from the sources (no build needed), with a
// loopback status port. Its stdout (JSON log lines) is kept for assertions; stop() sends a signal to its
// own pid and waits for the exit.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { AgentStatus } from '../../src/observe/status-format.js';
import { waitFor } from './testbed/wait.js';

export const CLI = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

export interface LogLine {
  level: string;
  msg: string;
  event?: string;
  [key: string]: unknown;
}

export interface AgentProcess {
  readonly child: ChildProcess;
  readonly listen: string;
  /** Every stdout line as written (JSON, maybe with a journald priority prefix). */
  readonly rawLines: string[];
  logs(): LogLine[];
  status(): Promise<AgentStatus>;
  metrics(): Promise<string>;
  waitForStatus(what: string, predicate: (status: AgentStatus) => boolean, timeoutMs?: number): Promise<AgentStatus>;
  waitForLog(what: string, predicate: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** Sends `signal` (default SIGTERM) and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export async function freeLoopbackPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Polls until the probe returns a value; the test bed's poller, under the name these tests use. */
export { waitFor as waitUntil };
export { until } from './testbed/wait.js';

export function runCli(args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  // Never the host's containerd: a test that wants the canary to reach one names its socket.
  const socket = { CMA_CONTAINERD_SOCKET: '/nonexistent/containerd.sock' };
  return spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
    env: { ...process.env, ...socket, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export async function startAgentProcess(args: string[], env: NodeJS.ProcessEnv = {}): Promise<AgentProcess> {
  const listen = `127.0.0.1:${await freeLoopbackPort()}`;
  // Never the machine's own /etc/containerd/config.toml: a test that wants config.toml names its own.
  const containerd = args.includes('--containerd-config') ? [] : ['--containerd-config', 'none'];
  const child = runCli(['run', '--listen', listen, ...containerd, ...args], env);
  const rawLines: string[] = [];
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  createInterface({ input: child.stdout! }).on('line', (line) => rawLines.push(line));
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  let exitCode: number | null | undefined;
  void exited.then(([code]) => (exitCode = code));

  const logs = (): LogLine[] => rawLines.map((line) => JSON.parse(line.replace(/^<\d>/, '')) as LogLine);
  const fetchText = async (path: string): Promise<string> => {
    const response = await fetch(`http://${listen}${path}`);
    return response.text();
  };
  const status = async (): Promise<AgentStatus> => JSON.parse(await fetchText('/status')) as AgentStatus;
  const alive = (): void => {
    if (exitCode !== undefined) throw new Error(`the agent exited with ${exitCode}: ${stderr}\n${rawLines.join('\n')}`);
  };
  const agent: AgentProcess = {
    child,
    listen,
    rawLines,
    logs,
    status,
    metrics: () => fetchText('/metrics'),
    waitForStatus: (what, predicate, timeoutMs) =>
      waitFor(
        what,
        async () => {
          alive();
          const s = await status();
          return predicate(s) ? s : undefined;
        },
        timeoutMs,
      ),
    waitForLog: (what, predicate, timeoutMs) =>
      waitFor(
        what,
        () => {
          alive();
          return logs().find(predicate);
        },
        timeoutMs,
      ),
    stop: async (signal = 'SIGTERM') => {
      if (exitCode !== undefined) return exitCode;
      child.kill(signal);
      const [code] = await exited;
      return code;
    },
  };
  try {
    await agent.waitForLog('the agent to start', (line) => line.event === 'started');
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return agent;
}
